/**
 * The `idp` login option (`sw.login(ctx, userId, { idp: tokens.claims() })`): the ID token's
 * claims become the record's sign-in (issuer, subject, sid or null); anything else is a TypeError
 * naming the claim.
 */
import { idpSessionOf } from './idp-login';

test('iss, sub and sid of the ID token claims; the other claims are ignored', () => {
  const claims = { iss: 'https://idp.example', sub: 'alice', sid: 'sid-1', aud: 'app', nonce: 'n', exp: 1, email: 'a@example.com' };
  expect(idpSessionOf(claims)).toEqual({ issuer: 'https://idp.example', subject: 'alice', sid: 'sid-1' });
});

test("a provider that sends no sid: null (only a logout of all of the user's sessions can end it)", () => {
  expect(idpSessionOf({ iss: 'https://idp.example', sub: 'alice' })).toEqual({
    issuer: 'https://idp.example',
    subject: 'alice',
    sid: null,
  });
  expect(idpSessionOf({ iss: 'https://idp.example', sub: 'alice', sid: null }).sid).toBeNull();
});

test.each<[string, unknown, RegExp]>([
  ['not an object', 'claims', /login option "idp" must be the ID token claims/],
  ['null', null, /login option "idp" must be the ID token claims/],
  ['a list', [], /login option "idp" must be the ID token claims/],
  ['no iss', { sub: 'alice' }, /"idp.iss" must be a non-empty string/],
  ['an empty sub', { iss: 'https://idp.example', sub: '' }, /"idp.sub" must be a non-empty string/],
  ['a sub that is a number', { iss: 'https://idp.example', sub: 42 }, /"idp.sub"/],
  [
    'a sid longer than the column',
    { iss: 'https://idp.example', sub: 'alice', sid: 'x'.repeat(256) },
    /"idp.sid" must be a non-empty string of at most 255/,
  ],
])('refused: %s', (_name, value, message) => {
  expect(() => idpSessionOf(value)).toThrow(TypeError);
  expect(() => idpSessionOf(value)).toThrow(message);
});
