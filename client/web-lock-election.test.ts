/**
 * The Web Lock election against a model of the Lock Manager: one holder per name, a queue of waiting
 * requests (which keep a page from being frozen in Chrome), `steal`, `ifAvailable`, abort signals.
 */
import { webLockElection } from './web-lock-election';

interface Request {
  client: string;
  callback: (lock: Lock | null) => unknown;
  settle: { resolve: (v: unknown) => void; reject: (e: unknown) => void };
  signal?: AbortSignal;
}

function lockManager() {
  let holder: { client: string; release: () => void; reject: (e: unknown) => void } | null = null;
  const queue: Request[] = [];
  const grant = (request: Request) => {
    let release = () => {};
    const done = new Promise<void>((resolve) => (release = resolve));
    holder = { client: request.client, release, reject: request.settle.reject };
    void Promise.resolve(request.callback({ name: 'l', mode: 'exclusive' })).then((value) => {
      const kept = value instanceof Promise ? value : Promise.resolve(value);
      void Promise.race([kept, done]).then(() => {
        if (holder?.client !== request.client) return;
        holder = null;
        request.settle.resolve(undefined);
        next();
      });
    });
  };
  const next = () => {
    if (holder || !queue.length) return;
    grant(queue.shift()!);
  };
  return {
    get holder() {
      return holder?.client ?? null;
    },
    get waiting() {
      return queue.map((r) => r.client);
    },
    client(client: string): LockManager {
      return {
        request: ((_name: string, options: LockOptions, callback: (lock: Lock | null) => unknown) =>
          new Promise<unknown>((resolve, reject) => {
            const request: Request = { client, callback, settle: { resolve, reject }, signal: options.signal };
            if (options.steal) {
              holder?.reject(new DOMException('stolen', 'AbortError'));
              holder = null;
              grant(request);
            } else if (options.ifAvailable) {
              if (holder || queue.length) void Promise.resolve(callback(null)).then(resolve);
              else grant(request);
            } else {
              queue.push(request);
              options.signal?.addEventListener('abort', () => {
                const i = queue.indexOf(request);
                if (i >= 0) queue.splice(i, 1);
                reject(new DOMException('aborted', 'AbortError'));
              });
              next();
            }
          })) as LockManager['request'],
        query: async () => ({
          held: holder ? [{ name: 'l', mode: 'exclusive', clientId: holder.client }] : [],
          pending: queue.map((r) => ({ name: 'l', mode: 'exclusive', clientId: r.client })),
        }),
      };
    },
  };
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** Tabs electing on one model Lock Manager, with who led and who was demoted, in order. */
function world() {
  const locks = lockManager();
  const led: string[] = [];
  const demoted: string[] = [];
  const tab = (name: string, wait = true) => {
    const election = webLockElection(locks.client(name), 'l');
    election.wait(wait);
    election.elect(
      () => led.push(name),
      () => demoted.push(name),
    );
    return election;
  };
  return { locks, led, demoted, tab };
}

test('a follower told not to wait leaves the queue; told to wait, it queues again and leads once the lock is free', async () => {
  const { locks, led, tab } = world();
  const a = tab('a');
  await flush();
  const b = tab('b');
  await flush();
  expect([locks.holder, locks.waiting]).toEqual(['a', ['b']]);
  b.wait(false);
  await flush();
  expect(locks.waiting).toEqual([]);
  b.wait(true);
  await flush();
  expect(locks.waiting).toEqual(['b']);
  await a.close();
  await flush();
  expect([locks.holder, led]).toEqual(['b', ['a', 'b']]);
});

test('probe: a follower that does not wait takes the lock only if nobody holds it, and never waits for it', async () => {
  const { locks, led, tab } = world();
  const a = tab('a');
  await flush();
  const b = tab('b', false);
  b.probe();
  await flush();
  expect([locks.holder, locks.waiting, led]).toEqual(['a', [], ['a']]);
  await a.close();
  await flush();
  expect(locks.holder).toBeNull();
  b.probe();
  await flush();
  expect([locks.holder, locks.waiting, led]).toEqual(['b', [], ['a', 'b']]);
});

test('a leader whose lock is stolen queues again only if told to wait', async () => {
  const { locks, demoted, tab } = world();
  const a = tab('a');
  await flush();
  a.wait(false);
  tab('b').claim();
  await flush();
  expect([locks.holder, locks.waiting, demoted]).toEqual(['b', [], ['a']]);
});

test('probe before joining (the first event of a hidden page): done once it joins', async () => {
  const { locks, led } = world();
  const election = webLockElection(locks.client('a'), 'l');
  election.wait(false);
  election.probe();
  election.elect(
    () => led.push('a'),
    () => undefined,
  );
  await flush();
  expect([locks.holder, locks.waiting, led]).toEqual(['a', [], ['a']]);
});
