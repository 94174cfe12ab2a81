/**
 * passport's view of a request, read and ended without importing passport: its login in the
 * session (`ctx.session[key].user`, what `serializeUser` stored) and the user it deserialized for
 * this request (koa-passport keeps it in `ctx.state[userProperty]`, which `ctx.req.user` and
 * `ctx.isAuthenticated()` read).
 */
import type { Context } from 'koa';
import type { KoaSession } from '../tracking/koa-session-adapter';
import type { ResolvedPassportOptions } from './options';

/** passport's login in a session: the serialized user, or undefined for none. */
export function passportUserOf(session: KoaSession | null, key: string): unknown {
  const data = session?.[key];
  if (data === null || typeof data !== 'object') return undefined;
  const user = (data as { user?: unknown }).user;
  // passport's own test (SessionStrategy): any truthy value, or 0, is a login.
  return user || user === 0 ? user : undefined;
}

/** passport's login in a session as the `passport` option says where (none with `passport: false`). */
export function passportLoginOf(passport: ResolvedPassportOptions | null, session: KoaSession | null): unknown {
  return passport ? passportUserOf(session, passport.key) : undefined;
}

/**
 * True when the session holds passport's data without a user: what `ctx.logout()` leaves
 * (passport deletes `user` and keeps the object), or passport's session strategy after
 * `deserializeUser` found no such user any more.
 */
export function passportLoggedOut(session: KoaSession | null, key: string): boolean {
  const data = session?.[key];
  return data !== null && typeof data === 'object' && passportUserOf(session, key) === undefined;
}

/** Removes passport's object from a session when it holds nothing (what `ctx.logout()` leaves). */
export function dropEmptyPassport(session: KoaSession | null, key: string): void {
  const data = session?.[key];
  if (data !== null && typeof data === 'object' && Object.keys(data).length === 0) delete session![key];
}

/** Removes passport's login from a session (the rest of its data stays). */
export function forgetPassportUser(session: KoaSession | null, key: string): void {
  const data = session?.[key];
  if (data !== null && typeof data === 'object') delete (data as { user?: unknown }).user;
}

interface PassportState {
  /** Set by `passport.initialize()` (its `compat` default): the Authenticator of the request. */
  _passport?: { instance?: { _userProperty?: unknown; _key?: unknown; _sm?: { _key?: unknown } } };
  [property: string]: unknown;
}

/**
 * The session key the request's passport keeps its login under (its session manager's), when
 * `passport.initialize()` ran on this request; undefined otherwise.
 */
export function passportKeyOf(ctx: Context): string | undefined {
  const state: PassportState | undefined = ctx.state;
  const instance = state?._passport?.instance;
  const key = instance?._sm?._key ?? instance?._key;
  return typeof key === 'string' ? key : undefined;
}

/**
 * Ends passport's view of this request, whichever ran first: when `passport.session()` ran before
 * sessionwatch ended the session, it had already put the user in `ctx.state`; after this,
 * `ctx.state.user` and `ctx.req.user` are gone and `ctx.isAuthenticated()` is false, so that no
 * route of the app acts for the ended session. Only when passport is in place on the request
 * (`passport.initialize()` ran): another library's `ctx.state.user` (a bearer token's) is left alone.
 */
export function endPassportView(ctx: Context): void {
  const state: PassportState | undefined = ctx.state;
  const instance = state?._passport?.instance;
  if (!state || !instance) return;
  const property = typeof instance._userProperty === 'string' ? instance._userProperty : 'user';
  // koa-passport's `ctx.req[property]` is an accessor of `ctx.state[property]`.
  delete state[property];
  delete state.authInfo;
}
