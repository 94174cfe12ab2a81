/** The push hub: streams by session, one shared heartbeat timer, ends said once then closed. */
import { PushHub, type PushSink } from './hub';

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
  hub.add('A', a1);
  hub.add('A', a2);
  hub.add('B', b);
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
  const forgetA = hub.add('A', a);
  const forgetB = hub.add('B', b);
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
  hub.add('A', broken);
  hub.add('A', fine);
  hub.end('A', { reason: 'logged-out' });
  expect([fine.ended, hub.size]).toEqual([true, 0]);
});
