import { isTabMessage } from './tabs';
import type { SharedState } from './state';

const state: SharedState = {
  lastActivity: 1,
  warnAfter: 30,
  expireAfter: 60,
  settingsKnown: true,
  phase: 'active',
  reason: null,
  confirmed: false,
  reported: 0,
  maxAgeEndsAt: null,
  lostSince: null,
  triedAt: 0,
  session: null,
};
const from = { tab: 'a', leader: true, term: 1 };

test.each([
  { type: 'hello', at: 1 },
  { type: 'activity', at: 1 },
  { type: 'activity', at: 1, extend: true },
  { type: 'state', state, sent: 1, nextBy: 2, from },
  { type: 'ping', activity: 1, nextBy: 2, from },
  { type: 'nudge' },
  { type: 'end', reason: 'revoked', confirmed: true },
])('accepts %p', (message) => {
  expect(isTabMessage(message)).toBe(true);
});

test.each([
  null,
  'hello',
  { type: 'hello' },
  { type: 'activity', at: 'now' },
  { type: 'activity', at: Infinity },
  { type: 'state', state: { ...state, phase: 'sleeping' }, sent: 1, nextBy: 2, from },
  { type: 'state', state: { ...state, warnAfter: 60, expireAfter: 30 }, sent: 1, nextBy: 2, from },
  { type: 'state', state, sent: 1, nextBy: 2 },
  { type: 'state', state, sent: null, nextBy: 2, from },
  { type: 'ping', activity: 1, nextBy: 2, from: { ...from, term: 'one' } },
  { type: 'end', reason: 'bored', confirmed: true },
  { type: 'end', reason: 'expired' },
  { type: 'reload' },
])('rejects %p', (message) => {
  expect(isTabMessage(message)).toBe(false);
});
