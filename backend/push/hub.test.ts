/** The push hub: streams by session, one shared heartbeat timer, ends said once then closed, policy changes said once. */
import type { PushPolicy } from '../../shared/protocol';
import { PushHub, type PushSink } from './hub';

const POLICY: PushPolicy = { warnAfter: 1740, expireAfter: 1800, maxAge: null };

function sink(): PushSink & { text: string; ended: boolean } {
  const s = {
    text: '',
    ended: false,
    write(t: string) {
      s.text += t;
    },
    end() {
      s.ended = true;
    },
  };
  return s;
}

afterEach(() => jest.useRealTimers());

test('an end is written to every stream of that session, which closes; the others go on', () => {
  const hub = new PushHub(1000);
  const [a1, a2, b] = [sink(), sink(), sink()];
  hub.add('A', a1, POLICY);
  hub.add('A', a2, POLICY);
  hub.add('B', b, POLICY);
  expect(hub.size).toBe(3);
  hub.end('A', { reason: 'revoked', by: 'admin' });
  for (const s of [a1, a2]) expect([s.text, s.ended]).toEqual(['event: ended\ndata: {"reason":"revoked","by":"admin"}\n\n', true]);
  expect([b.text, b.ended, hub.size, hub.has('A'), hub.sessionIds()]).toEqual(['', false, 1, false, ['B']]);
  hub.end('A', { reason: 'expired' }); // nothing left to tell
  hub.close();
  expect([b.ended, hub.size]).toEqual([true, 0]);
});

test('one heartbeat timer for all streams, only while there is one; a forgotten stream gets nothing more', () => {
  jest.useFakeTimers();
  const hub = new PushHub(1000);
  expect(jest.getTimerCount()).toBe(0);
  const [a, b] = [sink(), sink()];
  const forgetA = hub.add('A', a, POLICY);
  const forgetB = hub.add('B', b, POLICY);
  expect(jest.getTimerCount()).toBe(1);
  jest.advanceTimersByTime(2000);
  expect([a.text, b.text]).toEqual([':\n\n:\n\n', ':\n\n:\n\n']);
  forgetA();
  forgetA(); // twice: counted once
  jest.advanceTimersByTime(1000);
  expect([a.text.length, b.text, hub.size]).toEqual([6, ':\n\n:\n\n:\n\n', 1]);
  forgetB();
  expect([hub.size, jest.getTimerCount()]).toEqual([0, 0]);
});

test('a stream whose socket throws on write does not stop the others', () => {
  const hub = new PushHub(1000);
  const broken: PushSink = {
    write() {
      throw new Error('EPIPE');
    },
    end() {
      throw new Error('EPIPE');
    },
  };
  const fine = sink();
  hub.add('A', broken, POLICY);
  hub.add('A', fine, POLICY);
  hub.end('A', { reason: 'logged-out' });
  expect([fine.ended, hub.size]).toEqual([true, 0]);
});

test('a change of limits is written to every stream of that session, which stay open; the same limits again are not', () => {
  const hub = new PushHub(1000);
  const [a1, a2, b] = [sink(), sink(), sink()];
  hub.add('A', a1, POLICY);
  hub.add('A', a2, POLICY);
  hub.add('B', b, POLICY);
  expect(hub.policy('A', POLICY)).toBe(false); // what they opened with
  const shorter = { warnAfter: 540, expireAfter: 600, maxAge: 28_800 };
  expect(hub.policy('A', shorter)).toBe(true);
  for (const s of [a1, a2])
    expect([s.text, s.ended]).toEqual(['event: policy\ndata: {"warnAfter":540,"expireAfter":600,"maxAge":28800}\n\n', false]);
  // Another instance's invalidation of the same change, re-read here: nothing new to say.
  expect(hub.policy('A', { ...shorter })).toBe(false);
  expect([a1.text.split('event:').length, b.text, hub.size, hub.policy('C', shorter)]).toEqual([2, '', 3, false]);
  hub.end('A', { reason: 'expired' });
  expect(a1.text.endsWith('event: ended\ndata: {"reason":"expired"}\n\n')).toBe(true);
});

test('a stream opened with limits the older streams of its session were not told of tells them; a session with no stream left forgets', () => {
  const hub = new PushHub(1000);
  const [old, fresh] = [sink(), sink()];
  const forgetOld = hub.add('A', old, POLICY);
  const shorter = { ...POLICY, expireAfter: 900, warnAfter: 840 };
  hub.add('A', fresh, shorter);
  expect([old.text, fresh.text]).toEqual(['event: policy\ndata: {"warnAfter":840,"expireAfter":900,"maxAge":null}\n\n', '']);
  forgetOld();
  hub.end('A', { reason: 'revoked' });
  const again = sink();
  hub.add('A', again, shorter);
  expect(hub.policy('A', POLICY)).toBe(true); // not compared with the limits of streams gone
  expect(again.text).toContain('"expireAfter":1800');
});
