/**
 * The tab machine when the session's limits change on the server (`sw.setPolicy`, pushed to the
 * leader as a cue): the answer that brings them re-decides the warning, in the leader and in the
 * tabs that hear it, with one ping.
 */
import {
  ELECTED_SETTLE_MS,
  SYNC_MS,
  initialState,
  step,
  type Effect,
  type MachineConfig,
  type MachineEvent,
  type TabState,
} from './machine';
import type { PingResult } from './transport';
import type { SharedState } from './state';

const T0 = Date.UTC(2030, 0, 1);
const config: MachineConfig = {
  pingIntervalMs: () => 60_000,
  // No idle checks: the only pings are those the tests mean.
  checkIntervalMs: null,
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
const session = { id: 's1', createdAt: T0 - 1000, user: 'u' };

/** A tab as it goes: each event at its time, the effects gathered. */
function tab(id: string) {
  let state: TabState = initialState(id, shared);
  const effects: Effect[] = [];
  const at = (time: number, event: MachineEvent) => {
    const result = step(state, event, time, config);
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
