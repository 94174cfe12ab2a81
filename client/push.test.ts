/** The leader's push stream: held while wanted, its `ended` a cue, a refusal said once and retried later. */
import { createPushStream, PUSH_RETRY_AFTER_MS, PUSH_RETRY_MAX_MS } from './push';

class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  static all: FakeEventSource[] = [];
  readyState = 0;
  private readonly listeners = new Map<string, Array<(event: unknown) => void>>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, listener: (event: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.readyState = 2;
  }
  fire(type: string, data?: string): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ data });
  }
}

function setup() {
  FakeEventSource.all = [];
  let time = 0;
  const seen = { ended: [] as string[], refused: [] as boolean[], opened: 0 };
  const push = createPushStream({
    url: '/session/events',
    EventSource: FakeEventSource as unknown as typeof EventSource,
    onEnded: (reason) => seen.ended.push(reason),
    onRefused: (opened) => seen.refused.push(opened),
    onOpen: () => seen.opened++,
    now: () => time,
  });
  return { push, seen, advance: (ms: number) => (time += ms) };
}

test('one stream while wanted, none otherwise; an "ended" is passed on once and closes it', () => {
  const { push, seen } = setup();
  push.sync(true);
  push.sync(true);
  expect(FakeEventSource.all.map((s) => s.url)).toEqual(['/session/events']);
  const [stream] = FakeEventSource.all;
  stream.fire('open', '{"session":"x"}');
  stream.fire('ended', '{"reason":"revoked","by":"admin"}');
  expect([seen.ended, stream.readyState]).toEqual([['revoked'], 2]);
  stream.fire('ended', '{"reason":"expired"}'); // closed: nothing more
  expect(seen.ended).toEqual(['revoked']);
  push.sync(true); // the server is asked: no new stream until it answers
  expect(FakeEventSource.all).toHaveLength(1);
  push.allow(); // the session is live (a new sign-in replaced the ended one)
  push.sync(true);
  expect(FakeEventSource.all).toHaveLength(2);
  push.sync(false);
  expect(FakeEventSource.all[1].readyState).toBe(2);
});

test('garbage in an "ended" is ignored; a dropped connection the browser reconnects is left to it', () => {
  const { push, seen } = setup();
  push.sync(true);
  const [stream] = FakeEventSource.all;
  stream.fire('ended', 'not json');
  stream.fire('ended', '{"reason":"hacked"}');
  expect(seen.ended).toEqual([]);
  stream.readyState = 0; // CONNECTING: reconnecting on its own
  stream.fire('error');
  expect(seen.refused).toEqual([]);
});

test('refused (an HTTP error): told whether it had opened, tried again later and later (a proxy that refuses it)', () => {
  const { push, seen, advance } = setup();
  const refuse = (stream: FakeEventSource) => {
    stream.readyState = 2;
    stream.fire('error');
  };
  push.sync(true);
  refuse(FakeEventSource.all[0]);
  expect(seen.refused).toEqual([false]);
  push.allow(); // the server said the session is live: no reason to try again sooner
  push.sync(true);
  expect(FakeEventSource.all).toHaveLength(1);
  advance(PUSH_RETRY_AFTER_MS);
  push.sync(true);
  expect(FakeEventSource.all).toHaveLength(2);
  refuse(FakeEventSource.all[1]);
  advance(PUSH_RETRY_AFTER_MS);
  push.sync(true);
  expect(FakeEventSource.all).toHaveLength(2); // doubled: 60 s now
  advance(PUSH_RETRY_AFTER_MS);
  push.sync(true);
  expect(FakeEventSource.all).toHaveLength(3);
  // Open once: the backoff starts over.
  const third = FakeEventSource.all[2];
  third.fire('open', '{"session":"x"}');
  refuse(third);
  expect(seen.refused).toEqual([false, false, true]);
  advance(PUSH_RETRY_AFTER_MS);
  push.sync(true);
  expect(FakeEventSource.all).toHaveLength(4);
});

test('a refusal in a row never waits longer than PUSH_RETRY_MAX_MS', () => {
  const { push, advance } = setup();
  for (let i = 0; i < 12; i++) {
    push.sync(true);
    const stream = FakeEventSource.all[FakeEventSource.all.length - 1];
    stream.readyState = 2;
    stream.fire('error');
    advance(PUSH_RETRY_MAX_MS);
  }
  expect(FakeEventSource.all).toHaveLength(12);
});

test('without EventSource nothing happens', () => {
  const push = createPushStream({ url: '/e', EventSource: undefined, onEnded: () => {}, onRefused: () => {} });
  expect(() => push.sync(true)).not.toThrow();
});

test('a "policy" is a cue passed on, the stream staying open; none from a stream closed since', () => {
  FakeEventSource.all = [];
  const cues: string[] = [];
  const push = createPushStream({
    url: '/session/events',
    EventSource: FakeEventSource as unknown as typeof EventSource,
    onEnded: (reason) => cues.push(reason),
    onPolicy: () => cues.push('policy'),
    onRefused: () => cues.push('refused'),
  });
  push.sync(true);
  const [stream] = FakeEventSource.all;
  stream.fire('open', '{"session":"x"}');
  stream.fire('policy', '{"warnAfter":540,"expireAfter":600,"maxAge":null}');
  stream.fire('policy', 'garbage'); // a cue all the same: the server's answer decides
  expect([cues, stream.readyState, FakeEventSource.all.length]).toEqual([['policy', 'policy'], 0, 1]);
  push.sync(false);
  stream.fire('policy', '{}');
  expect(cues).toEqual(['policy', 'policy']);
});

test('every open of the stream is said (the browser reconnects a dropped one on its own: the server is back)', () => {
  const { push, seen } = setup();
  push.sync(true);
  const [stream] = FakeEventSource.all;
  stream.fire('open', '{"session":"x"}');
  stream.readyState = 0; // dropped: the browser reconnects
  stream.fire('error');
  stream.fire('open', '{"session":"x"}');
  expect([seen.opened, seen.refused, FakeEventSource.all.length]).toEqual([2, [], 1]);
  push.sync(false);
  stream.fire('open', '{"session":"x"}'); // closed: nothing more
  expect(seen.opened).toBe(2);
});
