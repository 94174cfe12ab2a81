/**
 * Which tabs a browser gets. With a native BroadcastChannel and Web Locks (every current browser)
 * the native tabs, with no library; otherwise the broadcast-channel library, imported on demand
 * (a chunk of its own in the app's bundle, downloaded only by those browsers) and used once
 * loaded: what is asked of the tabs meanwhile waits, in order.
 */
import { createNativeTabs } from './native-tabs';
import { createSoloTabs, openEnvelope, type ElectionTuning, type Tabs } from './tabs';
import { webLockElection } from './web-lock-election';

/** The tabs of this page on the channel `name`. */
export function connectTabs(name: string, tuning: ElectionTuning): Tabs {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (typeof BroadcastChannel === 'function' && locks) return createNativeTabs(name, locks);
  return deferredTabs(
    import('./library-tabs').then((library) => library.createLibraryTabs(name, tuning, { openEnvelope, webLockElection })),
  );
}

/**
 * Tabs that are still loading: every call waits for them, in the order made (each is chained on
 * the same promise). If they cannot load (the chunk failed to download, or the library found no
 * way to reach the other tabs), the tab is alone, as it is when a native channel cannot open.
 */
export function deferredTabs(loading: Promise<Tabs>): Tabs {
  const ready = loading.catch(() => createSoloTabs());
  return {
    post: (message) => ready.then((tabs) => tabs.post(message)),
    subscribe: (handler) => void ready.then((tabs) => tabs.subscribe(handler)),
    elect: (onLeader, onDemoted) => void ready.then((tabs) => tabs.elect(onLeader, onDemoted)),
    claim: () => void ready.then((tabs) => tabs.claim()),
    resign: () => void ready.then((tabs) => tabs.resign()),
    wait: (wanted) => void ready.then((tabs) => tabs.wait(wanted)),
    probe: () => void ready.then((tabs) => tabs.probe()),
    close: () => ready.then((tabs) => tabs.close()),
  };
}
