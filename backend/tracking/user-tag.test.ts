import { createHmac } from 'node:crypto';
import type { Context } from 'koa';
import { tagSecret, userTag } from './user-tag';

const ctxWithKeys = (keys: unknown) => ({ app: { keys } }) as unknown as Context;

test('the tag is stable per user and secret, differs between users and secrets, and never contains the id', () => {
  const secret = 'a-secret-of-enough-length';
  expect(userTag(secret, 'alice')).toBe(userTag(secret, 'alice'));
  expect(userTag(secret, 'alice')).not.toBe(userTag(secret, 'bob'));
  expect(userTag(secret, 'alice')).not.toBe(userTag('another-secret-of-length', 'alice'));
  expect(userTag(secret, 'alice')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(userTag(secret, 'alice')).not.toContain('alice');
});

test('the secret: the option, else app.keys[0], else none', () => {
  expect(tagSecret('from-the-option-123', ctxWithKeys(['k1', 'k2']))).toBe('from-the-option-123');
  expect(tagSecret(undefined, ctxWithKeys(['k1', 'k2']))).toBe('k1');
  expect(tagSecret(undefined, ctxWithKeys(undefined))).toBeUndefined();
  expect(tagSecret(undefined, ctxWithKeys(['']))).toBeUndefined();
  expect(tagSecret(undefined, ctxWithKeys({ sign() {} }))).toBeUndefined();
});

test('a remembered tag is the HMAC itself, for many users and secrets', () => {
  const hmac = (secret: string, userId: string) =>
    createHmac('sha256', secret).update(`sessionwatch:user:${userId}`).digest('base64url').slice(0, 22);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 12_000; i += 997) {
      expect(userTag('first-secret-of-length', `u${i}`)).toBe(hmac('first-secret-of-length', `u${i}`));
      expect(userTag('second-secret-of-length', `u${i}`)).toBe(hmac('second-secret-of-length', `u${i}`));
    }
  }
});
