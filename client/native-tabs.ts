/**
 * The tabs on the browser's own BroadcastChannel, electing with Web Locks: what every current
 * browser gets, with no library. Messages travel in broadcast-channel's own wrapping (`{ time,
 * type: 'message', data }` on a native channel of the same name), so tabs on either
 * implementation hear each other: a tab still running a client from before a deploy, or one of a
 * browser where the library is used (`library-tabs.ts`).
 */
import { createSoloTabs, openEnvelope, type Envelope, type Tabs } from './tabs';
import { webLockElection } from './web-lock-election';

/** broadcast-channel's message on a native channel. */
interface Wire {
  /**
   * Microseconds, as the library stamps: it ignores a message older than its listener. The end
   * of the current millisecond, so that a library tab whose listener was added in the same
   * millisecond (its stamps count up within one) still hears it.
   */
  time: number;
  type: 'message';
  data: Envelope;
}

/** The tabs on a native BroadcastChannel named `name`, electing on the Web Lock `sessionwatch|{name}`. */
export function createNativeTabs(name: string, locks: LockManager): Tabs {
  let channel: BroadcastChannel;
  try {
    channel = new BroadcastChannel(name);
  } catch {
    return createSoloTabs();
  }
  const elector = webLockElection(locks, `sessionwatch|${name}`);
  let closed = false;
  return {
    async post(message) {
      if (closed) return;
      try {
        channel.postMessage({ time: Date.now() * 1000 + 999, type: 'message', data: { sessionwatch: 1, message } } satisfies Wire);
      } catch {
        // Closed meanwhile (the page is going away): nothing to tell.
      }
    },
    subscribe(handler) {
      channel.addEventListener('message', (event: MessageEvent<Wire | null>) => {
        const message = event.data?.type === 'message' ? openEnvelope(event.data.data) : null;
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
      await elector.close();
      channel.close();
    },
  };
}
