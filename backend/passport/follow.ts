/**
 * passport's login and sessionwatch's tracked session of a request, kept equal: checked when the
 * request comes in, and made equal again once the app has answered — so that every passport login
 * (`ctx.login()`, `passport.authenticate()` with `successRedirect`, a custom callback, an OAuth
 * strategy) is tracked and `ctx.logout()` ends it, with no call to sessionwatch.
 *
 * Why at the end of the request rather than by wrapping `ctx.login`: koa-passport defines
 * `ctx.login` in `passport.initialize()`, which may run before or after sessionwatch, and a login
 * may happen anywhere after it. The session at the end of the request is what koa-session commits,
 * whatever the order and whoever wrote it, and passport has renewed it by then (its login
 * regenerates the session: the external store key the record keeps is the one passport leaves).
 */
import type { Context } from 'koa';
import type { Core } from '../core/types';
import type { SessionRecord } from '../store/types';
import { currentStoreKey, sessionOf, unusableSession, watchRegenerate, type KoaSession } from '../tracking/koa-session-adapter';
import type { ResolvedPassportOptions } from './options';
import { endPassportView, forgetPassportUser, passportKeyOf, passportLoggedOut, passportUserOf } from './view';

/** The user id of passport's login; a serialized user sessionwatch cannot tell one from is the app's setup error. */
function userIdOf(sw: Core, passport: ResolvedPassportOptions, serialized: unknown): string {
  const userId = passport.userIdOf(serialized);
  if (userId !== undefined) return userId;
  const advice = passport.customUserId
    ? 'the passport.userId option returned no user id (a non-empty string or number) for it'
    : 'set the option passport: { userId: (user) => user.id } to say which part is the user id';
  // What it is, never its values: the message reaches the browser in the 500's body.
  const what =
    serialized !== null && typeof serialized === 'object'
      ? `an object (keys: ${Object.keys(serialized).slice(0, 10).join(', ') || 'none'})`
      : `a ${typeof serialized}`;
  throw sw.configError('passport:userId', `sessionwatch: passport's serializeUser stored ${what} in the session; ${advice}`);
}

/**
 * When the request comes in, with its live record: passport's login must be that record's user.
 * Passport logged out on its own (a logout sessionwatch did not see, or `deserializeUser` found no
 * such user any more), or holds another user: the tracked session ends (logged out) and so does
 * passport's view. Undefined when they agree (no promise: the common case).
 */
export function checkPassportOfRecord(sw: Core, ctx: Context, session: KoaSession, record: SessionRecord): Promise<void> | undefined {
  const passport = sw.options.passport;
  if (!passport) return undefined;
  const serialized = passportUserOf(session, passport.key);
  if (serialized === undefined ? !passportLoggedOut(session, passport.key) : userIdOf(sw, passport, serialized) === record.userId) {
    return undefined;
  }
  return sw.logout(ctx);
}

/**
 * When the request comes in with passport's login and no tracked session: a login made before
 * sessionwatch was installed, or by a route it does not wrap (mounted before `sw.middleware()`).
 * The `passport.untracked` option decides: `end` (default) logs it out, `track` tracks it from here.
 */
export async function untrackedPassportLogin(sw: Core, ctx: Context, serialized: unknown): Promise<void> {
  const passport = sw.options.passport!;
  const userId = userIdOf(sw, passport, serialized);
  if (passport.untracked === 'track') {
    sw.advise(
      'passport:untracked',
      'sessionwatch: a passport login without a tracked session came in; it is tracked from now on (passport.untracked: "track")',
    );
    if (await sw.adoptLogin(ctx, userId)) return;
    // A copy of a cookie session adopted before: the adopted one is the user's; this one is out.
    await sw.resetSession(ctx, 'logged-out');
    return;
  }
  sw.advise(
    'passport:untracked',
    'sessionwatch: a passport login without a tracked session came in and was logged out (made before sessionwatch ' +
      'was installed, or by a route mounted before sw.middleware(): mount sw.middleware() right after koa-session). ' +
      'To keep such logins signed in and track them, set passport: { untracked: "track" }',
  );
  await sw.resetSession(ctx, 'logged-out');
}

/**
 * Notes when passport renews the request's session (its login and logout regenerate it): a login
 * as the user the session is already tracked for is a new login all the same (a new record and
 * token: the cookie from before it is useless, as after `sw.login`).
 */
export function watchPassport(sw: Core, ctx: Context, session: KoaSession | null): void {
  if (sw.options.passport && session) watchRegenerate(session, () => (sw.state(ctx).renewed = true));
}

/**
 * Once the app has answered: what the app did to the session is made true of its tracked session.
 * - passport logged in (a user in the session that the request's record is not of, or the same
 *   user again): tracked now, replacing the request's own record; if that fails, passport's login
 *   is taken back, so that no untracked login is committed;
 * - passport logged out (`ctx.logout()`), or the app set `ctx.session = null`: the record ends
 *   (logged out);
 * - the session moved to another external store key (passport's regenerate after `sw.login`):
 *   the record follows it, so that revoking it destroys the entry in use.
 */
export async function followLogin(sw: Core, ctx: Context): Promise<void> {
  if (unusableSession(ctx) !== undefined) return;
  const session = sessionOf(ctx);
  const { record, renewed, loggedIn } = sw.state(ctx);
  const passport = sw.options.passport;
  // A passport made with another session key: its logins would go untracked without a word.
  const key = passport && passportKeyOf(ctx);
  if (passport && key !== undefined && key !== passport.key) {
    throw sw.configError(
      'passport:key',
      `sessionwatch: passport keeps its login under ctx.session.${key}, not ctx.session.${passport.key}: set the option passport: { key: ${JSON.stringify(key)} }`,
    );
  }
  const serialized = passport ? passportUserOf(session, passport.key) : undefined;
  if (serialized !== undefined) {
    try {
      const userId = userIdOf(sw, passport!, serialized);
      // Another user, or the same one logging in again (passport renewed the session, which
      // sessionwatch did not log in during this request).
      if (record?.userId !== userId || (renewed && !loggedIn)) await sw.trackLogin(ctx, userId);
    } catch (err) {
      forgetPassportUser(session, passport!.key);
      endPassportView(ctx);
      throw err;
    }
  } else if (record && (session === null || (passport && passportLoggedOut(session, passport.key)))) {
    await sw.endLogin(ctx);
    return;
  }
  const current = sw.state(ctx).record;
  if (current) {
    const storeKey = currentStoreKey(ctx);
    if (storeKey !== current.storeKey && (await sw.store.setStoreKey(current.id, storeKey))) current.storeKey = storeKey;
  }
}
