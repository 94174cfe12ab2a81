/**
 * The tabs on the `broadcast-channel` library, for browsers without a native BroadcastChannel or
 * without Web Locks: the library picks the best channel there is (native, IndexedDB, localStorage)
 * and, without Web Locks, elects the leader itself. Loaded on demand (`connect-tabs.ts`), so
 * browsers that have both never download it.
 */
import { BroadcastChannel, createLeaderElection, type LeaderElector } from 'broadcast-channel';
import type { Election, ElectionTuning, Envelope, Tabs, TabMessage } from './tabs';
import type { webLockElection } from './web-lock-election';

/**
 * What this module uses of the main bundle, passed in rather than imported: a module imported
 * both by the page's bundle and by this on-demand one would be split by some bundlers (esbuild)
 * into a third file, which every page would then load up front.
 */
export interface LibraryTabsKit {
  openEnvelope: (value: unknown) => TabMessage | null;
  webLockElection: typeof webLockElection;
}

/**
 * The tabs on a broadcast-channel named `name`, electing with Web Locks where available. Throws
 * when the library has no way to talk to the other tabs here.
 */
export function createLibraryTabs(name: string, tuning: ElectionTuning, { openEnvelope, webLockElection }: LibraryTabsKit): Tabs {
  const channel = new BroadcastChannel<Envelope>(name, { webWorkerSupport: false });
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  const elector: Election = locks ? webLockElection(locks, `sessionwatch|${name}`) : libraryElection(channel, tuning);
  let closed = false;
  return {
    async post(message) {
      if (closed) return;
      try {
        await channel.postMessage({ sessionwatch: 1, message });
      } catch {
        // Closed meanwhile (the page is going away): nothing to tell.
      }
    },
    subscribe(handler) {
      channel.addEventListener('message', (envelope: Envelope) => {
        const message = openEnvelope(envelope);
        if (!closed && message) handler(message);
      });
    },
    elect: (onLeader, onDemoted) => elector.elect(onLeader, onDemoted),
    claim: () => elector.claim(),
    resign: () => elector.resign(),
    wait: (wanted) => elector.wait(wanted),
    probe: () => elector.probe(),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await elector.close();
        await channel.close();
      } catch {
        // Already closed.
      }
    },
  };
}

/**
 * broadcast-channel's election, where there are no Web Locks. It cannot take a lock away, so a
 * claim makes this tab lead at once; the leader terms in the tabs' messages settle who leads.
 */
function libraryElection(channel: BroadcastChannel<Envelope>, tuning: ElectionTuning): Election {
  const elector: LeaderElector = createLeaderElection(channel, tuning);
  let onLeader = () => {};
  let leading = false;
  let dead = false;
  return {
    elect(leader) {
      onLeader = leader;
      elector.awaitLeadership().then(
        () => {
          if (!dead && !leading) {
            leading = true;
            onLeader();
          }
        },
        () => undefined,
      );
    },
    claim() {
      if (leading || dead) return;
      leading = true;
      onLeader();
    },
    resign() {
      leading = false;
    },
    // The library's elector polls on its own (`fallbackInterval`); it has no queue to leave.
    wait: () => undefined,
    probe: () => undefined,
    async close() {
      dead = true;
      await elector.die();
    },
  };
}
