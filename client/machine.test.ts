/**
 * Single transitions of the tab machine, by example (the property test covers the whole).
 */
import {
  ELECTED_SETTLE_MS,
  SYNC_MS,
  initialState,
  step,
  type Effect,
  type MachineConfig,
  type MachineEvent,
  type TabMessage,
  type TabState,
} from './machine';
import type { SharedState } from './state';
import type { PingResult } from './transport';
import { objectContaining } from '../test/support/matchers';

const T0 = Date.UTC(2030, 0, 1);
const config: MachineConfig = {
  pingIntervalMs: () => 1000,
  checkIntervalMs: 8000,
  fixedSettings: false,
  loadedAt: T0,
  inPlace: false,
  loginPage: false,
};
const shared: SharedState = {
  lastActivity: T0,
  warnAfter: 100,
  expireAfter: 200,
  settingsKnown: true,
  phase: 'active',
  reason: null,
  confirmed: false,
  reported: T0,
  maxAgeEndsAt: null,
  lostSince: null,
  triedAt: 0,
  session: null,
};

/** Runs `events` (each at its time) from `state`; returns the last state and every effect. */
function run(state: TabState, events: [number, MachineEvent][]): { state: TabState; effects: Effect[] } {
  const effects: Effect[] = [];
  for (const [at, event] of events) {
    const result = step(state, event, at, config);
    state = result.state;
    effects.push(...result.effects);
  }
  return { state, effects };
}

const pings = (effects: Effect[]) => effects.filter((e) => e.type === 'ping');

describe('a tab elected leader', () => {
  const follower = () => run(initialState('b', shared), [[T0, { type: 'start' }]]).state;

  test(`asks the server ${ELECTED_SETTLE_MS} ms after its election, not before`, () => {
    const elected = run(follower(), [[T0 + 1000, { type: 'elected' }]]);
    expect(pings(elected.effects)).toEqual([]);
    expect(elected.state.dueAt).toBe(T0 + 1000 + ELECTED_SETTLE_MS);
    const later = run(elected.state, [[T0 + 1000 + ELECTED_SETTLE_MS, { type: 'tick' }]]);
    expect(pings(later.effects)).toHaveLength(1);
  });

  test('never asks when the old leader\'s "ended" arrives after the lock (a revoked session is asked about once)', () => {
    const ended: SharedState = { ...shared, phase: 'ended', reason: 'revoked', confirmed: true };
    const { state, effects } = run(follower(), [
      [T0 + 1000, { type: 'elected' }],
      [
        T0 + 1050,
        {
          type: 'message',
          message: { type: 'state', state: ended, sent: T0, nextBy: T0 + 9000, from: { tab: 'a', leader: true, term: 1 } },
        },
      ],
      [T0 + 1000 + ELECTED_SETTLE_MS, { type: 'tick' }],
      [T0 + 5000, { type: 'tick' }],
    ]);
    expect(pings(effects)).toEqual([]);
    expect(state.shared).toEqual(expect.objectContaining({ phase: 'ended', reason: 'revoked' }));
  });

  test('with a ping already out, sends no second one', () => {
    const leader = run(follower(), [[T0 + 1000, { type: 'elected' }]]).state;
    const flying = run(leader, [[T0 + 1000 + ELECTED_SETTLE_MS, { type: 'tick' }]]);
    expect(pings(flying.effects)).toHaveLength(1);
    const again = run(flying.state, [
      [T0 + 1300, { type: 'demoted' }],
      [T0 + 1310, { type: 'elected' }],
      [T0 + 1310 + ELECTED_SETTLE_MS, { type: 'tick' }],
    ]);
    expect(pings(again.effects)).toEqual([]);
  });
});

describe('relogin in place', () => {
  const inPlace: MachineConfig = { ...config, inPlace: true };
  const S1 = { id: 's1', createdAt: T0 - 60_000, user: 'alice' };
  const later = (user: string | null, id = 's2') => ({ id, createdAt: T0 + 5000, user });
  const step_ = (state: TabState, events: [number, MachineEvent][], cfg = inPlace) => {
    const effects: Effect[] = [];
    for (const [at, event] of events) {
      const result = step(state, event, at, cfg);
      state = result.state;
      effects.push(...result.effects);
    }
    return { state, effects };
  };
  const types = (effects: Effect[]) => effects.map((e) => (e.type === 'emit' ? `emit:${e.event}` : e.type));
  const stateOf = (session: SharedState['session'], extra: Partial<SharedState> = {}): TabMessage => ({
    type: 'state',
    state: { ...shared, session, reported: T0 + 6000, lastActivity: T0 + 6000, ...extra },
    sent: T0 + 6000,
    nextBy: T0 + 20_000,
    from: { tab: 'p', leader: true, term: 3 },
  });
  const revokedAnswer = {
    type: 'pinged',
    flight: { sentAt: T0 + 1000, activity: T0, idleFor: 1 },
    result: { kind: 'ended', reason: 'revoked' },
    jitter: 0,
  } as const;

  /** A leader of session S1, revoked: in stand-by. */
  function standing(): TabState {
    const live = step_(initialState('a', { ...shared, session: S1 }), [
      [T0, { type: 'start' }],
      [T0 + 10, { type: 'elected' }],
    ]).state;
    const flying = step_(live, [[T0 + 1000, { type: 'extend' }]]).state;
    return step_(flying, [[T0 + 1100, { ...revokedAnswer, flight: flying.flight! }]]).state;
  }

  test('a confirmed end (not a logout) stands by: locked, out of the election, no finish', () => {
    const live = step_(initialState('a', { ...shared, session: S1 }), [
      [T0, { type: 'start' }],
      [T0 + 10, { type: 'elected' }],
    ]).state;
    const flying = step_(live, [[T0 + 1000, { type: 'extend' }]]).state;
    const { state, effects } = step_(flying, [[T0 + 1100, { ...revokedAnswer, flight: flying.flight! }]]);
    expect(types(effects)).toEqual(expect.arrayContaining(['endView', 'emit:locked', 'emit:end', 'standBy', 'emit:leader']));
    expect(types(effects)).not.toContain('finish');
    expect(state).toMatchObject({ standby: true, leader: false, finished: false });
    expect(state.dueAt).toBeNull();
    // The same in navigate mode finishes (leaves).
    const navigating = step_(flying, [[T0 + 1100, { ...revokedAnswer, flight: flying.flight! }]], config);
    expect(types(navigating.effects)).toContain('finish');
  });

  test('a logout leaves even in place', () => {
    const live = step_(initialState('a', { ...shared, session: S1 }), [[T0, { type: 'start' }]]).state;
    const { effects } = step_(live, [
      [T0 + 1000, { type: 'logout' }],
      [T0 + 1100, { type: 'loggedOut', ok: true, jitter: 0 }],
    ]);
    expect(types(effects)).toContain('finish');
    expect(types(effects)).not.toContain('standBy');
  });

  test("a later live session of the same user unlocks it: the new session's state, fresh, and back in the election", () => {
    const { state, effects } = step_(standing(), [[T0 + 7000, { type: 'message', message: stateOf(later('alice')) }]]);
    expect(effects).toEqual(
      expect.arrayContaining([
        { type: 'unlock', rejoin: true },
        { type: 'emit', event: 'unlocked', payload: {} },
      ]),
    );
    expect(state.shared).toMatchObject({ phase: 'active', reason: null, confirmed: false, session: later('alice') });
    expect(state).toMatchObject({ standby: false, finished: false });
    expect(pings(effects)).toEqual([]);
  });

  test("another user's session reloads it, never unlocks", () => {
    const { state, effects } = step_(standing(), [[T0 + 7000, { type: 'message', message: stateOf(later('bob')) }]]);
    expect(types(effects)).toContain('reload');
    expect(types(effects)).not.toContain('unlock');
    expect(state.shared.phase).toBe('ended');
    // A server without user tags: no two users compare equal, so it reloads too.
    expect(types(step_(standing(), [[T0 + 7000, { type: 'message', message: stateOf(later(null)) }]]).effects)).toContain('reload');
  });

  test('an earlier session, a later one that ended or that no answer confirmed: no news', () => {
    const older = { id: 's0', createdAt: T0 - 120_000, user: 'alice' };
    for (const message of [
      stateOf(older),
      stateOf(later('alice'), { phase: 'ended', reason: 'expired', confirmed: true }),
      stateOf(later('alice'), { reported: 0 }),
    ]) {
      const { state, effects } = step_(standing(), [[T0 + 7000, { type: 'message', message }]]);
      expect(effects).toEqual([]);
      expect(state.standby).toBe(true);
    }
  });

  test('stand-by is silent: no answer to a new tab, no ping, no election', () => {
    const { effects } = step_(standing(), [
      [T0 + 7000, { type: 'message', message: { type: 'hello', at: T0 + 7000 } }],
      [T0 + 7100, { type: 'elected' }],
      [T0 + 600_000, { type: 'tick' }],
    ]);
    expect(effects).toEqual([]);
  });

  test('resume: a check the others do not hear of; the same user answering unlocks it and tells the others', () => {
    const asked = step_(standing(), [[T0 + 7000, { type: 'resume' }]]);
    expect(types(asked.effects)).toEqual(['ping']);
    const flight = asked.state.flight!;
    const answer = (session: SharedState['session']) =>
      step_(asked.state, [
        [
          T0 + 7050,
          {
            type: 'pinged',
            flight,
            jitter: 0,
            result: { kind: 'ok', idleFor: 1, warnAfter: 100, expireAfter: 200, maxAgeLeft: null, session },
          },
        ],
      ]);
    const unlocked = answer(later('alice'));
    expect(types(unlocked.effects)).toEqual(expect.arrayContaining(['unlock', 'emit:unlocked', 'post']));
    expect(unlocked.state.shared).toMatchObject({ phase: 'active', session: later('alice'), lastActivity: T0 + 6000 });
    expect(types(answer(later('bob')).effects)).toContain('reload');
    // Not signed in yet (the old session's end again), or the server unreachable: still locked, silent.
    for (const result of [{ kind: 'ended', reason: 'revoked' } as const, { kind: 'failed', error: 'offline' } as const]) {
      const still = step_(asked.state, [[T0 + 7050, { type: 'pinged', flight, jitter: 0, result }]]);
      expect(still.effects).toEqual([]);
      expect(still.state.standby).toBe(true);
    }
  });

  test("a live tab's answer naming another user's session: hidden at once, then reloaded", () => {
    const live = step_(initialState('a', { ...shared, session: S1 }), [
      [T0, { type: 'start' }],
      [T0 + 10, { type: 'elected' }],
      [T0 + 1000, { type: 'extend' }],
    ]).state;
    const { effects } = step_(live, [
      [
        T0 + 1050,
        {
          type: 'pinged',
          flight: live.flight!,
          jitter: 0,
          result: { kind: 'ok', idleFor: 0, warnAfter: 100, expireAfter: 200, maxAgeLeft: null, session: later('bob') },
        },
      ],
    ]);
    expect(types(effects)).toEqual(['lockPending', 'emit:locked', 'reload']);
  });

  test("the end of an earlier session (a stale tab's) does not end a tab of a later one", () => {
    const live = step_(initialState('a', { ...shared, session: later('alice') }), [[T0, { type: 'start' }]]).state;
    const { state } = step_(live, [
      [T0 + 100, { type: 'message', message: { type: 'end', reason: 'revoked', confirmed: true, session: 's1' } }],
    ]);
    expect(state.shared.phase).toBe('active');
  });
});

test('locked before any answer named its session: a later session never unlocks it (whose page is unknown), it reloads', () => {
  const inPlace: MachineConfig = { ...config, inPlace: true };
  let st = initialState('a', shared);
  for (const [at, event] of [
    [T0, { type: 'start' }],
    [T0 + 10, { type: 'message', message: { type: 'end', reason: 'revoked', confirmed: false } }],
  ] as [number, MachineEvent][])
    st = step(st, event, at, inPlace).state;
  expect(st.shared.phase).toBe('ended');
  const confirmed = step(st, { type: 'message', message: { type: 'end', reason: 'revoked', confirmed: true } }, T0 + 20, inPlace).state;
  expect(confirmed.standby).toBe(true);
  const later: TabMessage = {
    type: 'state',
    state: { ...shared, session: { id: 's2', createdAt: T0, user: 'alice' }, reported: T0 + 30 },
    sent: T0 + 30,
    nextBy: T0 + 9000,
    from: { tab: 'p', leader: true, term: 1 },
  };
  const { effects } = step(confirmed, { type: 'message', message: later }, T0 + 40, inPlace);
  expect(effects.map((e) => e.type)).toContain('reload');
  expect(effects.map((e) => e.type)).not.toContain('unlock');
});

test('a locked tab the user comes back to asks the server (at most once a second), unheard by the others', () => {
  const inPlace: MachineConfig = { ...config, inPlace: true };
  let st = initialState('a', { ...shared, session: { id: 's1', createdAt: T0, user: 'alice' } });
  for (const [at, event] of [
    [T0, { type: 'start' }],
    [T0 + 10, { type: 'message', message: { type: 'end', reason: 'revoked', confirmed: true } }],
  ] as [number, MachineEvent][])
    st = step(st, event, at, inPlace).state;
  expect(st.standby).toBe(true);
  const back = step(st, { type: 'wake' }, T0 + 5000, inPlace);
  expect(back.effects.map((e) => e.type)).toEqual(['ping']);
  const answered = step(
    back.state,
    {
      type: 'pinged',
      flight: back.state.flight!,
      jitter: 0,
      result: { kind: 'ended', reason: 'revoked' },
    },
    T0 + 5050,
    inPlace,
  ).state;
  const soon = step(answered, { type: 'wake' }, T0 + 5500, inPlace);
  expect(soon.effects).toEqual([]);
  // Not dropped: asked when the second is over.
  expect(soon.state.dueAt).toBe(T0 + 6000);
  expect(step(soon.state, { type: 'tick' }, T0 + 6000, inPlace).effects.map((e) => e.type)).toEqual(['ping']);
  expect(step(answered, { type: 'wake' }, T0 + 6100, inPlace).effects.map((e) => e.type)).toEqual(['ping']);
});

test("an end decided offline, confirmed by a logout, takes the server's reason from its answer (revoked meanwhile)", () => {
  // Locked at the deadline while offline; its ping failed once, so the next attempt is a logout.
  const locked: TabState = {
    ...initialState('a', { ...shared, phase: 'ended', reason: 'expired', confirmed: false }),
    running: true,
    leader: true,
    confirmFailures: 1,
  };
  const asked = step(locked, { type: 'tick' }, T0 + 1000, config);
  expect(asked.effects).toEqual([{ type: 'logout', reason: 'expired' }]);
  const { state, effects } = step(asked.state, { type: 'loggedOut', ok: true, ended: 'revoked', jitter: 0 }, T0 + 1050, config);
  expect(state.shared).toMatchObject({ phase: 'ended', reason: 'revoked', confirmed: true });
  expect(effects).toContainEqual({ type: 'post', message: objectContaining({ type: 'end', reason: 'revoked', confirmed: true }) });
  expect(effects).toContainEqual({ type: 'finish', reason: 'revoked' });
  // Without a word from the server, the logout confirmed the tab's own reason.
  expect(step(asked.state, { type: 'loggedOut', ok: true, jitter: 0 }, T0 + 1050, config).state.shared.reason).toBe('expired');
});

test('on the login page the tab stops quietly at start: no message, no ping, never a warning or a lock, whatever the session', () => {
  const loginPage: MachineConfig = { ...config, loginPage: true };
  let st = initialState('a', shared);
  const effects: Effect[] = [];
  for (const [at, event] of [
    [T0, { type: 'start' }],
    [T0 + 10, { type: 'elected' }],
    [T0 + 20, { type: 'message', message: { type: 'hello', at: T0 + 20 } }],
    [T0 + 300_000, { type: 'tick' }],
    [T0 + 300_010, { type: 'message', message: { type: 'end', reason: 'expired', confirmed: true } }],
    [T0 + 300_020, { type: 'ended', reason: 'revoked', confirmed: true }],
  ] as [number, MachineEvent][]) {
    const result = step(st, event, at, loginPage);
    st = result.state;
    effects.push(...result.effects);
  }
  expect(effects).toEqual([]);
  expect(st).toMatchObject({ quiet: true, finished: true, leader: false, dueAt: null });
  expect(st.shared).toMatchObject({ phase: 'ended', reason: 'logged-out' });
});

describe("the session's limits changed on the server (sw.setPolicy, pushed to the leader as a cue)", () => {
  // No idle checks: the only pings are those the tests mean.
  const policyConfig: MachineConfig = { ...config, pingIntervalMs: () => 60_000, checkIntervalMs: null };
  const session = { id: 's1', createdAt: T0 - 1000, user: 'u' };

  /** A tab as it goes: each event at its time, the effects gathered. */
  function tab(id: string) {
    let state: TabState = initialState(id, shared);
    const effects: Effect[] = [];
    const at = (time: number, event: MachineEvent) => {
      const result = step(state, event, time, policyConfig);
      state = result.state;
      effects.push(...result.effects);
    };
    const pings = () => effects.filter((e): e is Extract<Effect, { type: 'ping' }> => e.type === 'ping');
    /** Answers the last ping at `time` with the server's `warnAfter` / `expireAfter` / `maxAgeLeft`. */
    const answer = (time: number, limits: { warnAfter: number; expireAfter: number; maxAgeLeft?: number | null }) => {
      const { flight } = pings().at(-1)!;
      const result: PingResult = { kind: 'ok', idleFor: (flight.sentAt - T0) / 1000, maxAgeLeft: null, session, ...limits };
      at(time, { type: 'pinged', flight, result, jitter: 0.5 });
    };
    return {
      at,
      answer,
      pings,
      effects,
      get state() {
        return state;
      },
    };
  }

  /** A leader whose first answer (the global limits) is in. */
  function leader() {
    const a = tab('a');
    a.at(T0, { type: 'start' });
    a.at(T0, { type: 'elected' });
    a.at(T0 + ELECTED_SETTLE_MS, { type: 'tick' });
    a.answer(T0 + ELECTED_SETTLE_MS + 20, { warnAfter: 100, expireAfter: 200 });
    return a;
  }

  const kinds = (effects: Effect[]) => effects.map((e) => (e.type === 'emit' ? `emit:${e.event}` : e.type)).filter((k) => k !== 'post');

  test('a shorter limit the idle time already reaches: the leader warns at once after its one ping, the warning on the new deadline', () => {
    const a = leader();
    const cueAt = T0 + 10_000;
    const before = a.effects.length;
    a.at(cueAt, { type: 'wake', restored: true }); // the pushed cue
    expect(a.pings()).toHaveLength(2);
    a.answer(cueAt + 30, { warnAfter: 5, expireAfter: 60 });
    // No warning during the re-sync window, then at once, with no second ping.
    expect(a.state.shared).toMatchObject({ warnAfter: 5, expireAfter: 60, phase: 'active' });
    expect(a.state.dueAt).toBe(cueAt + SYNC_MS);
    a.at(cueAt + SYNC_MS, { type: 'tick' });
    expect([a.state.shared.phase, a.pings().length]).toEqual(['warning', 2]);
    expect(kinds(a.effects.slice(before))).toEqual(['ping', 'showWarning', 'emit:warn']);
    expect(a.effects.find((e) => e.type === 'emit' && e.event === 'warn')).toMatchObject({ payload: { secondsLeft: 50 } });
  });

  test('a longer limit while the warning shows: the warning goes (as if extended), nothing else', () => {
    const a = leader();
    a.at(T0 + 100_000, { type: 'tick' }); // the warning's check
    a.answer(T0 + 100_020, { warnAfter: 100, expireAfter: 200 });
    expect(a.state.shared.phase).toBe('warning');
    const before = a.effects.length;
    a.at(T0 + 110_000, { type: 'wake', restored: true });
    a.answer(T0 + 110_030, { warnAfter: 1000, expireAfter: 1200 });
    expect(a.state.shared).toMatchObject({ phase: 'active', warnAfter: 1000, expireAfter: 1200, lastActivity: T0 });
    expect(kinds(a.effects.slice(before))).toEqual(['ping', 'hideWarning', 'emit:extend']);
    a.at(T0 + 110_000 + SYNC_MS, { type: 'tick' });
    expect([a.state.shared.phase, a.pings().length]).toEqual(['active', 3]);
  });

  test("a follower adopts the leader's new limits: its warning goes when they moved the deadline away; a lifted maxAge is lifted", () => {
    const b = tab('b');
    const from = { tab: 'a', leader: true, term: 1 };
    const leaderState = (extra: Partial<SharedState>) => ({
      type: 'state' as const,
      state: { ...shared, ...extra },
      sent: T0,
      nextBy: T0 + 200_000,
      from,
    });
    b.at(T0, { type: 'start' });
    b.at(T0 + 1000, { type: 'message', message: leaderState({ maxAgeEndsAt: T0 + 150_000 }) });
    b.at(T0 + 100_000, { type: 'message', message: leaderState({ phase: 'warning', maxAgeEndsAt: T0 + 150_000 }) });
    expect(b.state.shared.phase).toBe('warning');
    b.at(T0 + 110_000, { type: 'message', message: leaderState({ warnAfter: 1000, expireAfter: 1200, maxAgeEndsAt: null }) });
    expect(b.state.shared).toMatchObject({ phase: 'active', warnAfter: 1000, expireAfter: 1200, maxAgeEndsAt: null });
    expect(kinds(b.effects)).toContain('hideWarning');
    // A leader the server never answered says nothing of the absolute end.
    b.at(T0 + 111_000, { type: 'message', message: leaderState({ maxAgeEndsAt: T0 + 500_000 }) });
    b.at(T0 + 112_000, { type: 'message', message: leaderState({ maxAgeEndsAt: null, reported: 0 }) });
    expect([b.state.shared.maxAgeEndsAt, b.pings()]).toEqual([T0 + 500_000, []]);
  });
});
describe('activity told to the other tabs', () => {
  const posted = (effects: Effect[]) =>
    effects.filter((e): e is Extract<Effect, { type: 'post' }> => e.type === 'post' && e.message.type === 'activity').map((e) => e.message);
  const ping = (at: number, activity: number): MachineEvent => ({
    type: 'message',
    message: { type: 'ping', activity, nextBy: at + 1000, at, from: { tab: 'a', leader: true, term: 1 } },
  });

  test('once per ping: the first activity at once, the rest when a ping carried it, the newest then', () => {
    const started = run(initialState('b', shared), [[T0, { type: 'start' }]]).state;
    const events: [number, MachineEvent][] = [];
    for (let t = 100; t <= 900; t += 100) events.push([T0 + t, { type: 'activity', at: T0 + t }]);
    const before = run(started, events);
    expect(posted(before.effects)).toEqual([{ type: 'activity', at: T0 + 100 }]);
    // The leader's ping carried it: the newest since is told at once, and nothing more until the next ping.
    const after = run(before.state, [
      [T0 + 1000, ping(T0 + 1000, T0 + 100)],
      [T0 + 1100, { type: 'activity', at: T0 + 1100 }],
    ]);
    expect(posted(after.effects)).toEqual([{ type: 'activity', at: T0 + 900 }]);
  });
});

test('activity told to the other tabs: every report while the server cannot be reached (the leader decides the deadlines)', () => {
  const offline = { ...shared, lostSince: T0, triedAt: T0 };
  const started = run(initialState('b', offline), [[T0, { type: 'start' }]]).state;
  const events: [number, MachineEvent][] = [100, 600, 1100].map((t) => [T0 + t, { type: 'activity', at: T0 + t }]);
  const told = run(started, events).effects.filter((e) => e.type === 'post' && e.message.type === 'activity');
  expect(told).toHaveLength(3);
});

describe("a page's first answer says the session ended: before or after this page was loaded", () => {
  /** A tab loaded at T0 that never had an answer, and its first ping, sent at `sentAt`. */
  function firstAnswer(sentAt: number, answeredAt: number, endedFor: number) {
    const fresh = run(initialState('a', { ...shared, reported: 0 }), [
      [T0 + 10, { type: 'start' }],
      [T0 + 20, { type: 'elected' }],
    ]).state;
    const flight = { sentAt, activity: T0 + 10, idleFor: (sentAt - T0 - 10) / 1000 };
    return run({ ...fresh, flight }, [
      [answeredAt, { type: 'pinged', flight, result: { kind: 'ended', reason: 'revoked', endedFor }, jitter: 0 }],
    ]);
  }

  test('ended 100 ms before the load, the answer slow to come back (a page busy loading): quiet, no lock', () => {
    // The server handled the ping 10 ms after it left (the end then 410 ms old); the page took the
    // answer 390 ms later: measured from the answer, the end would look 300 ms after the load.
    const { state, effects } = firstAnswer(T0 + 300, T0 + 700, 0.41);
    expect(effects).toContainEqual({ type: 'quiet' });
    expect(effects.filter((e) => e.type === 'endView' || e.type === 'finish')).toEqual([]);
    expect(state.quiet).toBe(true);
  });

  test('ended after the load (the page was served while the session was live): it ends, and tells the others when', () => {
    const { state, effects } = firstAnswer(T0 + 300, T0 + 320, 0.2);
    expect(effects).not.toContainEqual({ type: 'quiet' });
    expect(effects).toContainEqual({ type: 'endView', reason: 'revoked' });
    expect(effects).toContainEqual({ type: 'post', message: objectContaining({ type: 'end', confirmed: true, endedAt: T0 + 100 }) });
    expect(state.quiet).toBe(false);
  });
});

describe('activity near the deadline, the warning showing (a window restored, "Stay signed in" late): one ping in all', () => {
  /** Just before the server's deadline: activity there is pinged at once, by one tab. */
  const AT = T0 + 198_000;
  const tab = (id: string, leader: boolean): TabState => ({
    ...initialState(id, { ...shared, phase: 'warning' }),
    running: true,
    leader,
    term: 1,
    sent: T0,
    lastPingAt: AT - 1000,
    nextPingBy: AT + 7000,
    promisedAt: AT - 1000,
  });

  /**
   * Three tabs (the first leads) on a channel that delivers in order, once every tab had its event:
   * `event` in tab `at` (or `events`, one per tab, at the same instant).
   */
  function browser(at: number | 'all', event: MachineEvent, prepare: (tabs: TabState[]) => void = () => {}) {
    const tabs = [tab('a', true), tab('b', false), tab('c', false)];
    prepare(tabs);
    const sent: string[] = [];
    const queue: [number, MachineEvent][] = at === 'all' ? tabs.map((_, i) => [i, event]) : [[at, event]];
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [i, ev] = next;
      const result = step(tabs[i], ev, AT, config);
      tabs[i] = result.state;
      for (const e of result.effects) {
        if (e.type === 'ping') sent.push(tabs[i].id);
        if (e.type === 'post') tabs.forEach((_, j) => j !== i && queue.push([j, { type: 'message', message: e.message }]));
      }
    }
    return { tabs, sent };
  }

  test.each([
    ['a follower', 1, { type: 'activity', at: AT }],
    ['the leader', 0, { type: 'activity', at: AT }],
    ['a follower ("Stay signed in")', 2, { type: 'extend' }],
  ] as [string, number, MachineEvent][])('in %s: that tab pings, no other, and every tab has the activity', (_name, at, event) => {
    const { tabs, sent } = browser(at, event);
    expect(sent).toEqual([tabs[at].id]);
    for (const t of tabs) expect(t.shared).toMatchObject({ lastActivity: AT, phase: 'active' });
  });

  test('every tab coming into view at once (activityOnVisible): the leader pings, no follower stands in', () => {
    const { tabs, sent } = browser('all', { type: 'activity', at: AT, viewOnly: true });
    expect(sent).toEqual(['a']);
    for (const t of tabs) expect(t.shared).toMatchObject({ lastActivity: AT, phase: 'active' });
  });

  test('in a follower with a ping of its own out: the leader pings it, the other follower does not', () => {
    const { sent } = browser(1, { type: 'activity', at: AT }, (tabs) => {
      tabs[1].flight = { sentAt: AT - 100, activity: T0, idleFor: 197.9 };
    });
    expect(sent).toEqual(['a']);
  });
});
