/**
 * Leader election on a Web Lock: the holder leads; a crashed or closed leader's lock is released
 * by the browser at once. A frozen or busy leader keeps its lock, so `claim` steals it: the old
 * holder's request then fails with an AbortError, which is how it learns it no longer leads.
 *
 * Chrome never freezes a page that holds a Web Lock **or waits for one** (a request registers the
 * page as a lock user when it is made, not when it is granted), so only the followers told to wait
 * (`wait(true)`: visible ones, which are never frozen anyway) wait in the lock's queue; the others
 * take the lock only when they ask and nobody holds it (`probe`).
 */
import type { Election } from './tabs';

/** The election among the tabs that request the lock `lockName`. */
export function webLockElection(locks: LockManager, lockName: string): Election {
  let onLeader = () => {};
  let onDemoted = () => {};
  /** Each request is numbered: only the newest one may lead. */
  let generation = 0;
  let queued: AbortController | null = null;
  let release: (() => void) | null = null;
  let dead = false;
  /** Joined (`elect`), and whether to wait in the lock's queue as a follower. */
  let joined = false;
  let waiting = true;
  /** Asked to probe before joining (a hidden page's first event comes first): probes when it joins. */
  let probeOnJoin = false;

  /** Queues for the lock, takes it from its holder (`steal`), or takes it only if nobody holds it. */
  function request(how: 'queue' | 'steal' | 'ifAvailable'): void {
    if (dead) return;
    const mine = ++generation;
    queued?.abort();
    queued = how === 'queue' ? new AbortController() : null;
    const options: LockOptions = how === 'queue' ? { signal: queued!.signal } : { [how]: true };
    locks
      .request(lockName, options, (lock) => {
        // Superseded, or not available (`ifAvailable`): let go at once.
        if (mine !== generation || dead || !lock) return undefined;
        queued = null;
        return new Promise<void>((resolve) => {
          release = resolve;
          onLeader();
        });
      })
      .catch(() => {
        // Stolen while leading (or an aborted queued request, which needs nothing).
        if (mine === generation && release && !dead) {
          release = null;
          onDemoted();
          if (waiting) request('queue');
        }
      });
  }

  function probe(): void {
    probeOnJoin = !joined;
    if (!joined || release || queued || dead) return;
    // A query registers nothing (unlike a request, which would keep the page from being frozen).
    locks.query().then(
      (snapshot) => {
        if (!release && !queued && !snapshot.held?.some((lock) => lock.name === lockName)) request('ifAvailable');
      },
      () => undefined,
    );
  }

  return {
    elect(leader, demoted) {
      onLeader = leader;
      onDemoted = demoted;
      joined = true;
      if (waiting) request('queue');
      else if (probeOnJoin) probe();
    },
    claim() {
      if (!release) request('steal');
    },
    resign() {
      if (!release) return;
      const held = release;
      release = null;
      if (waiting) request('queue');
      held();
    },
    wait(wanted) {
      waiting = wanted;
      if (!joined || release || dead) return;
      if (wanted && !queued) request('queue');
      else if (!wanted && queued) {
        // A grant already on its way finds itself superseded and lets go.
        generation++;
        queued.abort();
        queued = null;
      }
    },
    probe,
    async close() {
      dead = true;
      queued?.abort();
      release?.();
      release = null;
    },
  };
}
