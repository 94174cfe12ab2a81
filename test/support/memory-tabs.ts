/**
 * In-memory tabs for unit tests: several controllers in one process share a hub that delivers
 * messages asynchronously (like a real channel) and elects the oldest open tab that waits for the
 * leadership (`wait`), or one that asks while nobody leads (`probe`).
 */
import type { TabMessage, Tabs } from '../../client/tabs';

export interface MemoryHub {
  /** A new tab's side of the hub. */
  connect(): Tabs;
  /** Every message posted, in order (for assertions). */
  readonly log: { from: number; message: TabMessage }[];
}

interface Member {
  index: number;
  handlers: ((message: TabMessage) => void)[];
  onLeader?: () => void;
  onDemoted?: () => void;
  closed: boolean;
  waiting: boolean;
}

export function createMemoryHub(): MemoryHub {
  const members: Member[] = [];
  const log: MemoryHub['log'] = [];
  let leader: Member | null = null;

  function electNext(): void {
    if (leader && !leader.closed) return;
    lead(members.find((m) => !m.closed && m.onLeader && m.waiting && m !== resigned) ?? null);
  }

  function lead(member: Member | null): void {
    leader = member;
    if (member) setTimeout(() => !member.closed && leader === member && member.onLeader!(), 0);
  }

  /** The last tab that resigned queues behind the others once. */
  let resigned: Member | null = null;

  return {
    log,
    connect() {
      const me: Member = { index: members.length, handlers: [], closed: false, waiting: true };
      members.push(me);
      return {
        async post(message) {
          if (me.closed) return;
          log.push({ from: me.index, message });
          const copy = JSON.parse(JSON.stringify(message)) as TabMessage;
          for (const other of members) {
            if (other === me || other.closed) continue;
            setTimeout(() => {
              if (!other.closed) for (const handler of other.handlers) handler(copy);
            }, 0);
          }
        },
        subscribe(handler) {
          me.handlers.push(handler);
        },
        elect(onLeader, onDemoted) {
          me.onLeader = onLeader;
          me.onDemoted = onDemoted;
          electNext();
        },
        claim() {
          if (leader === me || me.closed) return;
          // Like Web Locks `steal`: the old leader learns it lost the lock.
          const old = leader;
          lead(me);
          if (old && !old.closed) setTimeout(() => !old.closed && old.onDemoted?.(), 0);
        },
        resign() {
          if (leader !== me) return;
          resigned = me;
          leader = null;
          electNext();
          resigned = null;
        },
        wait(wanted) {
          me.waiting = wanted;
          if (wanted && me.onLeader) electNext();
        },
        probe() {
          if (me.onLeader && !me.closed && (!leader || leader.closed)) lead(me);
        },
        async close() {
          me.closed = true;
          if (leader === me) {
            leader = null;
            electNext();
          }
        },
      };
    },
  };
}
