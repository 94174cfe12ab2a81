/**
 * The opaque per-user value of ping answers (`user`): the client's tabs compare it to tell "the
 * same user signed in again" (unlock in place) from "someone else did" (reload), without page
 * scripts ever learning the user id.
 */
import { createHmac } from 'node:crypto';
import type { Context } from 'koa';

/** Tags remembered per secret before starting over (a bound on memory, not on correctness). */
const MEMO_ENTRIES = 10_000;
const MEMO_SECRETS = 8;

/** Tags already computed, by secret then user id. */
const memo = new Map<string, Map<string, string>>();

/**
 * HMAC-SHA256 of the user id under `secret`, base64url, 128 bits: stable, and useless without the
 * secret. Every ping answer carries one, and the same users ping again and again: a tag is
 * computed once and remembered (it is no secret: the browser gets it in every answer).
 */
export function userTag(secret: string, userId: string): string {
  let tags = memo.get(secret);
  if (tags === undefined) {
    // Secrets are few (the option, or app.keys[0] as it rotates).
    if (memo.size >= MEMO_SECRETS) memo.clear();
    memo.set(secret, (tags = new Map<string, string>()));
  }
  let tag = tags.get(userId);
  if (tag === undefined) {
    tag = createHmac('sha256', secret).update(`sessionwatch:user:${userId}`).digest('base64url').slice(0, 22);
    if (tags.size >= MEMO_ENTRIES) tags.clear();
    tags.set(userId, tag);
  }
  return tag;
}

/** The secret to tag users with: the `secret` option, else the app's first cookie key, else none. */
export function tagSecret(option: string | undefined, ctx: Context): string | undefined {
  if (option !== undefined) return option;
  const keys: unknown = ctx.app.keys;
  const first: unknown = Array.isArray(keys) ? keys[0] : undefined;
  return typeof first === 'string' && first.length > 0 ? first : undefined;
}

/** Said once in the log when ping answers go without a user tag. */
export const NO_SECRET_MESSAGE =
  'sessionwatch: neither the "secret" option nor app.keys is set, so ping answers carry no user tag (user: null): ' +
  'after a session ends, a new sign-in reloads the locked tabs instead of unlocking them in place. ' +
  'Set the "secret" option (the same on every instance), or app.keys.';
