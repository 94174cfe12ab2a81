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
  { type: 'ping', activity: 1, nextBy: 2, at: 1, from },
  { type: 'state', state, sent: 1, nextBy: 2, at: 1, from },
  { type: 'nudge' },
  { type: 'end', reason: 'revoked', confirmed: true },
  { type: 'end', reason: 'revoked', confirmed: true, session: 's1' },
  { type: 'end', reason: 'revoked', confirmed: true, session: 's1', endedAt: 5 },
  { type: 'state', state: { ...state, session: { id: 's1', createdAt: 5, user: null } }, sent: 1, nextBy: 2, from },
  // From a client older than the session's identity (a deploy under way).
  { type: 'state', state: { ...state, session: undefined }, sent: 1, nextBy: 2, from },
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
  { type: 'ping', activity: 1, nextBy: 2, at: 'now', from },
  { type: 'state', state, sent: 1, nextBy: 2, at: NaN, from },
  { type: 'end', reason: 'bored', confirmed: true },
  { type: 'end', reason: 'expired' },
  { type: 'end', reason: 'expired', confirmed: true, session: 42 },
  { type: 'end', reason: 'expired', confirmed: true, session: 's1', endedAt: 'then' },
  { type: 'state', state: { ...state, session: { id: 's1', createdAt: 'today', user: null } }, sent: 1, nextBy: 2, from },
  { type: 'state', state: { ...state, session: { id: 's1', createdAt: 5, user: 7 } }, sent: 1, nextBy: 2, from },
  { type: 'reload' },
])('rejects %p', (message) => {
  expect(isTabMessage(message)).toBe(false);
});
