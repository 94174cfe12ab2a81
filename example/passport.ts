/**
 * The demo's logins, the way Koa apps do them: koa-passport with passport-local over the users
 * table. passport keeps the user id in the session (`serializeUser`) and loads the user back on
 * every request (`deserializeUser`, into `ctx.state.user`). sessionwatch needs no call of its own:
 * each passport login becomes a tracked session, and `ctx.logout()` ends it.
 */
import type { Knex } from 'knex';
import { KoaPassport } from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { authenticate, usernameOf, type User } from './users';

/** The demo's passport: its own instance (several demo apps may run in one process, as in tests). */
export function createPassport(knex: Knex): InstanceType<typeof KoaPassport> {
  const passport = new KoaPassport();
  // The session holds the user id only: what sessionwatch records as the session's user.
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: unknown, done) => {
    usernameOf(knex, id as number).then(
      // A user deleted since: passport logs the session out (and sessionwatch ends its record).
      (username) => done(null, username === undefined ? false : ({ id: Number(id), username } satisfies User)),
      done,
    );
  });
  passport.use(
    new LocalStrategy((username, password, done) => {
      authenticate(knex, username, password).then((user) => done(null, user ?? false), done);
    }),
  );
  return passport;
}
