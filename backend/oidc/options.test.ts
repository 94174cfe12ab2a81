/**
 * The `backChannelLogout` option: one provider or several, each field checked, unknown fields and
 * repeated issuers refused, with TypeErrors naming the field; and through `resolveOptions`.
 */
import { resolveOptions } from '../options';
import { MemoryStore } from '../store/memory-store';
import { resolveBackChannelLogout } from './options';

const ISSUER = 'https://idp.example';

test('off without the option (or null)', () => {
  expect(resolveBackChannelLogout(undefined)).toBeNull();
  expect(resolveBackChannelLogout(null)).toBeNull();
});

test('one provider, or a list; jwksUri optional; the issuer kept exactly as given', () => {
  expect(resolveBackChannelLogout({ issuer: ISSUER, clientId: 'app' })).toEqual({
    providers: [{ issuer: ISSUER, clientId: 'app', jwksUri: null }],
  });
  expect(
    resolveBackChannelLogout([
      { issuer: `${ISSUER}/`, clientId: 'app', jwksUri: 'https://keys.idp.example/jwks.json' },
      { issuer: 'http://localhost:3001/realms/dev', clientId: 'app' },
    ]),
  ).toEqual({
    providers: [
      { issuer: `${ISSUER}/`, clientId: 'app', jwksUri: 'https://keys.idp.example/jwks.json' },
      { issuer: 'http://localhost:3001/realms/dev', clientId: 'app', jwksUri: null },
    ],
  });
});

test.each<[string, unknown, RegExp]>([
  ['not an object', 'https://idp.example', /option "backChannelLogout" must be \{ issuer, clientId, jwksUri\? \} \(got "https/],
  ['an empty list', [], /empty list: give at least one provider/],
  ['no issuer', { clientId: 'app' }, /option "backChannelLogout.issuer" must be the provider's issuer URL \(got undefined\)/],
  ['an issuer that is not a URL', { issuer: 'idp.example', clientId: 'app' }, /"backChannelLogout.issuer" is not a URL/],
  [
    'an issuer of another scheme',
    { issuer: 'ftp://idp.example', clientId: 'app' },
    /"backChannelLogout.issuer" must be an https: \(or http:\) URL/,
  ],
  ['an issuer with a query', { issuer: `${ISSUER}?tenant=1`, clientId: 'app' }, /"backChannelLogout.issuer" must not have a query/],
  ['an issuer with a fragment', { issuer: `${ISSUER}#x`, clientId: 'app' }, /"backChannelLogout.issuer" must not have a fragment/],
  ['an issuer with credentials', { issuer: 'https://u:p@idp.example', clientId: 'app' }, /must not carry credentials/],
  ['no clientId', { issuer: ISSUER }, /option "backChannelLogout.clientId" must be a non-empty string/],
  ['an empty clientId', { issuer: ISSUER, clientId: '' }, /"backChannelLogout.clientId" must be a non-empty string/],
  ['a jwksUri that is not a URL', { issuer: ISSUER, clientId: 'app', jwksUri: '/jwks' }, /"backChannelLogout.jwksUri" is not a URL/],
  ['a jwksUri that is not a string', { issuer: ISSUER, clientId: 'app', jwksUri: 42 }, /"backChannelLogout.jwksUri" must be a URL string/],
  [
    'an unknown field',
    { issuer: ISSUER, clientId: 'app', clientSecret: 's' },
    /has no field "clientSecret" \(known: issuer, clientId, jwksUri\)/,
  ],
  ['a misspelt field', { issuer: ISSUER, client_id: 'app' }, /has no field "client_id" \(did you mean "clientId"\?\)/],
  ['an entry of a list', [{ issuer: ISSUER, clientId: 'app' }, { issuer: ISSUER }], /option "backChannelLogout\[1\].clientId"/],
  [
    'the same issuer twice',
    [
      { issuer: ISSUER, clientId: 'app' },
      { issuer: ISSUER, clientId: 'other' },
    ],
    /"backChannelLogout\[1\].issuer" repeats "https:\/\/idp.example": give each provider once/,
  ],
])('refused: %s', (_name, value, message) => {
  expect(() => resolveBackChannelLogout(value)).toThrow(TypeError);
  expect(() => resolveBackChannelLogout(value)).toThrow(message);
});

test('resolveOptions validates it with the others', () => {
  const database = new MemoryStore();
  expect(resolveOptions({ database }).backChannelLogout).toBeNull();
  expect(resolveOptions({ database, backChannelLogout: { issuer: ISSUER, clientId: 'app' } }).backChannelLogout).toEqual({
    providers: [{ issuer: ISSUER, clientId: 'app', jwksUri: null }],
  });
  expect(() => resolveOptions({ database, backChannelLogout: { issuer: ISSUER } as never })).toThrow(/backChannelLogout.clientId/);
});
