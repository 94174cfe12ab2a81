/**
 * A reusable corpus of hostile input for every endpoint: bodies, `idleFor` values, session ids and
 * cookies. Each entry is named so a failure says which one broke.
 */
import Keygrip from 'keygrip';

export interface RawBody {
  name: string;
  body: string;
  contentType: string;
}

const json = (name: string, body: string): RawBody => ({ name, body, contentType: 'application/json' });

/** Bodies no JSON endpoint may accept. */
export const BAD_BODIES: RawBody[] = [
  json('invalid JSON', '{"idleFor":'),
  json('NaN literal', '{"idleFor":NaN}'),
  json('empty body', ''),
  json('JSON null', 'null'),
  json('JSON array', '[1,2]'),
  json('JSON string', '"idleFor"'),
  json('deeply nested', '['.repeat(5000) + ']'.repeat(5000)),
  json('1 MB', JSON.stringify({ idleFor: 1, username: 'x', password: 'y', pad: 'x'.repeat(1024 * 1024) })),
  { name: 'wrong content type', body: '{"idleFor":1}', contentType: 'text/plain' },
  { name: 'multipart', body: '--x\r\n\r\n--x--', contentType: 'multipart/form-data; boundary=x' },
  { name: 'binary', body: '\u0000\u0001\u00ff\ufffd', contentType: 'application/octet-stream' },
];

/** `idleFor` values the ping must refuse, as JSON text. */
export const BAD_IDLE_FOR: string[] = [
  '"3"',
  '-1',
  '-0.001',
  '1e999',
  '-1e999',
  '1e308',
  '31536001',
  '[1]',
  '{"n":1}',
  'null',
  'true',
  '"NaN"',
  '"Infinity"',
];

/**
 * Policies (JSON text) the admin policy routes must refuse with a 400: wrong types, out of range,
 * unknown and injected fields, limits that contradict each other or the global options.
 */
export const BAD_POLICIES: string[] = [
  '{"expireAfter":"900"}',
  '{"expireAfter":-1}',
  '{"expireAfter":0}',
  '{"expireAfter":1e999}',
  '{"warnAfter":1e308,"expireAfter":1e308}',
  '{"maxAge":0}',
  '{"maxAge":"none"}',
  '{"warnAfter":null}',
  '{"expireAfter":[900]}',
  '{"expireAfter":{"$gt":0}}',
  '{"warnAfter":900,"expireAfter":900}',
  '{"warnAfter":1e-9,"expireAfter":1e-9}',
  '{"expireAfer":900}',
  '{"__proto__":{"expireAfter":1}}',
  '{"constructor":{"prototype":{}}}',
  '{"warnAfter":10,"expireAfter":20,"idleFor":0}',
];

/** Session ids that name nothing the caller may revoke (path segments, already URL-encoded where needed). */
export const BAD_IDS: string[] = [
  'unknown',
  'A'.repeat(22),
  'x'.repeat(10 * 1024),
  encodeURIComponent('✓ünïcødé🙂'),
  encodeURIComponent("' OR '1'='1"),
  encodeURIComponent('1; DROP TABLE sessionwatch_sessions; --'),
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  '%00',
  encodeURIComponent('<script>alert(1)</script>'),
];

/**
 * User ids (URL-encoded, for a query value or a path segment) no database can store alike: a NUL
 * (Postgres refuses it, SQLite would match), bytes that are not UTF-8, an unpaired surrogate.
 * Every route taking a user id answers 400 naming `userId`, on both databases.
 */
export const BAD_USER_IDS: Array<{ name: string; encoded: string }> = [
  { name: 'NUL', encoded: '%00' },
  { name: 'NUL inside', encoded: 'alice%00admin' },
  { name: 'invalid UTF-8', encoded: '%FF' },
  { name: 'overlong UTF-8', encoded: '%C0%AF' },
  { name: 'unpaired surrogate', encoded: '%ED%A0%80' },
  { name: 'truncated UTF-8', encoded: 'caf%C3' },
];

/**
 * Cookies that must never authenticate: tampered, truncated, garbage, unsigned, and validly
 * signed garbage (needs the app's signing key).
 */
export function badCookies(
  valid: { value: string; sig: string },
  signingKey: string,
  name = 'sid',
): Array<{ name: string; cookie: string }> {
  const sign = (value: string) => new Keygrip([signingKey]).sign(`${name}=${value}`);
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  const signedGarbage = (value: string) => `${name}=${value}; ${name}.sig=${sign(value)}`;
  return [
    { name: 'tampered value', cookie: `${name}=${flip(valid.value, 10)}; ${name}.sig=${valid.sig}` },
    { name: 'tampered signature', cookie: `${name}=${valid.value}; ${name}.sig=${flip(valid.sig, 3)}` },
    { name: 'truncated value', cookie: `${name}=${valid.value.slice(0, valid.value.length / 2)}; ${name}.sig=${valid.sig}` },
    { name: 'unsigned', cookie: `${name}=${valid.value}` },
    { name: 'garbage', cookie: `${name}=%%%garbage%%%; ${name}.sig=nope` },
    { name: 'empty', cookie: `${name}=; ${name}.sig=` },
    { name: 'huge', cookie: `${name}=${'A'.repeat(7000)}; ${name}.sig=${valid.sig}` },
    { name: 'signed non-base64', cookie: signedGarbage('!!!not-base64!!!') },
    { name: 'signed non-JSON', cookie: signedGarbage(Buffer.from('{not json').toString('base64')) },
    { name: 'signed JSON null', cookie: signedGarbage(Buffer.from('null').toString('base64')) },
    {
      name: 'signed forged token',
      cookie: signedGarbage(Buffer.from(JSON.stringify({ sessionwatch: 'forged', username: 'johndoe' })).toString('base64')),
    },
    {
      name: 'signed token of wrong type',
      cookie: signedGarbage(Buffer.from(JSON.stringify({ sessionwatch: { $gt: '' } })).toString('base64')),
    },
  ];
}
