/**
 * Public ids and secret tokens: random, URL-safe, of fixed size; the database only sees a token's
 * SHA-256.
 */
import { createHash } from 'node:crypto';
import { hashToken, newPublicId, newToken, PUBLIC_ID_PATTERN } from './tokens';

test('a public id is 128 random bits in 22 URL-safe characters, matching PUBLIC_ID_PATTERN', () => {
  const ids = Array.from({ length: 1000 }, newPublicId);
  for (const id of ids) {
    expect(id).toMatch(PUBLIC_ID_PATTERN);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  }
  expect(new Set(ids).size).toBe(1000);
});

test('a token is 256 random bits in 43 URL-safe characters, and never a public id', () => {
  const tokens = Array.from({ length: 1000 }, newToken);
  for (const token of tokens) {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(token).not.toMatch(PUBLIC_ID_PATTERN);
  }
  expect(new Set(tokens).size).toBe(1000);
});

test('hashToken is the hex SHA-256 of the token', () => {
  expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const token = newToken();
  expect(hashToken(token)).toBe(hashToken(token));
  expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
  expect(hashToken(token)).not.toContain(token);
});

test.each(['', 'A'.repeat(21), 'A'.repeat(23), `${'A'.repeat(21)}+`, `${'A'.repeat(21)}/`, `${'A'.repeat(20)}==`, `${'A'.repeat(21)}\n`])(
  'PUBLIC_ID_PATTERN refuses %j',
  (id) => {
    expect(PUBLIC_ID_PATTERN.test(id)).toBe(false);
  },
);

test('hashToken hashes the token as UTF-8, whatever Node API computes it', () => {
  expect(hashToken('é')).toBe(createHash('sha256').update('é', 'utf8').digest('hex'));
  const token = newToken();
  expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
});
