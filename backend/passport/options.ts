/**
 * The `passport` option: how sessionwatch follows passport's logins (koa-passport). Defaults in
 * one place; validated at construction.
 */
import { describeValue } from '../../shared/option-checks';

/** What to do with a session that holds a passport login sessionwatch never tracked. */
export type UntrackedLogin = 'end' | 'track';

/** Options of the passport integration (`passport` option). */
export interface PassportOptions {
  /**
   * The key of passport's data in `ctx.session` (passport's SessionManager `key`). Default
   * `'passport'`, passport's own.
   */
  key?: string;
  /**
   * The user id of what passport's `serializeUser` stored (`ctx.session.passport.user`). Default:
   * that value itself when it is a string or a number (the usual `done(null, user.id)`); a
   * serialized object needs this function, or the login answers `500 misconfigured` saying so.
   */
  userId?: (serialized: unknown) => string | number;
  /**
   * A session holding a passport login that sessionwatch has no record of: one made before
   * sessionwatch was installed, or by a route it does not wrap. `'end'` (default, the safe
   * choice): logged out on its first request, said once in the log. `'track'`: tracked from that
   * request on (an upgrade that keeps everyone signed in; addresses and browsers are those of that
   * request).
   */
  untracked?: UntrackedLogin;
}

/** The option validated, with its defaults. */
export interface ResolvedPassportOptions {
  key: string;
  /** The user id of a serialized passport user; undefined when none can be told (see {@link PassportOptions.userId}). */
  userIdOf: (serialized: unknown) => string | undefined;
  /** True when the app gave its own `userId`. */
  customUserId: boolean;
  untracked: UntrackedLogin;
}

const KNOWN = ['key', 'userId', 'untracked'] as const;

/** A user id as records store it: a non-empty string of at most 255 characters, or undefined. */
function asUserId(value: unknown): string | undefined {
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) return undefined;
  const id = String(value);
  return id !== '' && id.length <= 255 ? id : undefined;
}

/** Validates the `passport` option (on by default); throws a TypeError naming the bad field. */
export function resolvePassportOptions(value: unknown): ResolvedPassportOptions | null {
  if (value === false) return null;
  if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    throw new TypeError(
      `sessionwatch: option "passport" must be false or an object { key?, userId?, untracked? } (got ${describeValue(value)})`,
    );
  }
  const options = (value ?? {}) as PassportOptions;
  const unknown = Object.keys(options).filter((key) => !(KNOWN as readonly string[]).includes(key));
  if (unknown.length) {
    throw new TypeError(`sessionwatch: option "passport" has no field ${describeValue(unknown[0])} (known: ${KNOWN.join(', ')})`);
  }
  const key = options.key ?? 'passport';
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`sessionwatch: option "passport.key" must be a non-empty string (got ${describeValue(key)})`);
  }
  if (options.userId !== undefined && typeof options.userId !== 'function') {
    throw new TypeError(
      `sessionwatch: option "passport.userId" must be a function (serializedUser) => id (got ${describeValue(options.userId)})`,
    );
  }
  const untracked = options.untracked ?? 'end';
  if (untracked !== 'end' && untracked !== 'track') {
    throw new TypeError(`sessionwatch: option "passport.untracked" must be "end" or "track" (got ${describeValue(untracked)})`);
  }
  const custom = options.userId;
  return {
    key,
    userIdOf: custom ? (serialized) => asUserId(custom(serialized)) : asUserId,
    customUserId: custom !== undefined,
    untracked,
  };
}
