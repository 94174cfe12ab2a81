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
