import { testRecord } from '../../test/support/records';
import { actorOf, eventOf, toAdminSecurityEvent, toSecurityEvent } from './events';

describe('actorOf: who revoked a session, from the request that did it', () => {
  const target = { id: 'target', userId: 'alice' };
  test.each([
    ['no request session: the server', undefined, { by: 'server', sessionId: null, userId: null }],
    ['that very session', { id: 'target', userId: 'alice' }, { by: 'self', sessionId: null, userId: null }],
    ['another session of the user', { id: 'phone', userId: 'alice' }, { by: 'other-session', sessionId: 'phone', userId: null }],
    ["another user's session: an administrator", { id: 'desk', userId: 'root' }, { by: 'admin', sessionId: 'desk', userId: 'root' }],
  ])('%s', (_name, caller, actor) => {
    expect(actorOf(target, caller)).toEqual(actor);
  });
});

test("an entry is the session's state at that moment; the HTTP view never names another user", () => {
  const record = testRecord({
    userId: 'alice',
    ip: '81.2.69.0',
    location: { city: 'London', country: 'United Kingdom', countryCode: 'GB' },
  });
  const event = eventOf(record, 'revoked', Date.UTC(2030, 0, 1), {
    actor: { by: 'admin', sessionId: 'ADMINSESSION', userId: 'root-user' },
  });
  expect(event).toMatchObject({
    userId: 'alice',
    sessionId: record.id,
    ip: '81.2.69.0',
    by: 'admin',
    actorUserId: 'root-user',
    newDevice: null,
  });
  const view = toSecurityEvent(event);
  expect(view).toEqual({
    id: event.id,
    type: 'revoked',
    at: '2030-01-01T00:00:00.000Z',
    session: record.id,
    ip: '81.2.69.0',
    location: { city: 'London', country: 'United Kingdom', countryCode: 'GB' },
    browser: { name: 'Firefox', version: '120.0' },
    os: { name: 'Linux', version: null },
    device: 'desktop',
    by: 'admin',
    bySession: null,
    newDevice: null,
  });
  expect(toAdminSecurityEvent(event)).toMatchObject({ by: 'admin', bySession: 'ADMINSESSION', byUser: 'root-user' });
  expect(JSON.stringify(view)).not.toMatch(/root-user|ADMINSESSION/);
});
