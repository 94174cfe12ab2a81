/**
 * Single transitions of the tab machine, by example (the property test covers the whole).
 */
import { ELECTED_SETTLE_MS, initialState, step, type Effect, type MachineConfig, type MachineEvent, type TabState } from './machine';
import type { SharedState } from './state';

const T0 = Date.UTC(2030, 0, 1);
const config: MachineConfig = { pingIntervalMs: () => 1000, checkIntervalMs: 8000, fixedSettings: false, loadedAt: T0, inPlace: false };
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
