/**
 * Leader election on a Web Lock: the holder leads; a crashed or closed leader's lock is released
 * by the browser at once. A frozen or busy leader keeps its lock, so `claim` steals it: the old
 * holder's request then fails with an AbortError, which is how it learns it no longer leads.
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

  function request(steal: boolean): void {
    if (dead) return;
    const mine = ++generation;
    queued?.abort();
    queued = steal ? null : new AbortController();
    const options: LockOptions = steal ? { steal: true } : { signal: queued!.signal };
    locks
      .request(lockName, options, () => {
        if (mine !== generation || dead) return undefined; // superseded: let go at once
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
          request(false);
        }
      });
  }

  return {
    elect(leader, demoted) {
      onLeader = leader;
      onDemoted = demoted;
      request(false);
    },
    claim() {
      if (!release) request(true);
    },
    resign() {
      if (!release) return;
      const held = release;
      release = null;
      request(false);
      held();
    },
    async close() {
      dead = true;
      queued?.abort();
      release?.();
      release = null;
    },
  };
}
