import type { Knex } from 'knex';
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const TABLE = 'example_users';
const KEY_LENGTH = 64;

export interface User {
  id: number;
  username: string;
}

/** A row of the users table. */
interface UserRow extends User {
  password_hash: string;
}

/** `scrypt$<salt hex>$<hash hex>` with a random 16-byte salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH);
  return `scrypt$${salt.toString('hex')}$${hash.toString('hex')}`;
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltHex, hashHex] = stored.split('$');
  if (scheme !== 'scrypt' || !saltHex || !hashHex) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = await scrypt(password, Buffer.from(saltHex, 'hex'), expected.length);
  return timingSafeEqual(expected, actual);
}

/** Creates the demo users table and the seeded users (idempotent). */
export async function setUpUsers(knex: Knex, seed: Array<{ username: string; password: string }>): Promise<void> {
  if (!(await knex.schema.hasTable(TABLE))) {
    await knex.schema.createTable(TABLE, (t) => {
      t.increments('id').primary();
      t.string('username', 64).notNullable().unique();
      t.string('password_hash', 255).notNullable();
    });
  }
  for (const { username, password } of seed) {
    const exists = await knex<UserRow>(TABLE).where({ username }).first();
    if (!exists) {
      await knex(TABLE)
        .insert({ username, password_hash: await hashPassword(password) })
        .onConflict('username')
        .ignore();
    }
  }
}

/** The demo's administrators (they may use the admin API, and get its stricter timeouts). */
export const ADMIN_USERNAMES: ReadonlySet<string> = new Set(['janedoe']);

/** The username of a user id, or undefined (also for an id that is not one of ours: not an integer). */
export async function usernameOf(knex: Knex, id: string | number): Promise<string | undefined> {
  const n = Number(id);
  // Postgres refuses a non-integer for an integer column (SQLite would just find nothing).
  if (!Number.isSafeInteger(n)) return undefined;
  const row = await knex<UserRow>(TABLE).where({ id: n }).first();
  return row?.username;
}

/**
 * Sets a new password when `current` is right; false otherwise. The caller ends the user's other
 * sessions (OWASP: a password change logs out every other device).
 */
export async function changePassword(knex: Knex, username: string, current: string, next: string): Promise<boolean> {
  if (!(await authenticate(knex, username, current))) return false;
  await knex<UserRow>(TABLE)
    .where({ username })
    .update({ password_hash: await hashPassword(next) });
  return true;
}

/** The user with these credentials, or undefined. Always runs scrypt, so timing tells nothing. */
export async function authenticate(knex: Knex, username: string, password: string): Promise<User | undefined> {
  const row = await knex<UserRow>(TABLE).where({ username }).first();
  const ok = await verifyPassword(password, row?.password_hash ?? 'scrypt$00$00');
  return ok && row ? { id: row.id, username: row.username } : undefined;
}

/**
 * The user of this name, created when missing without a password (one that signs in elsewhere:
 * "Sign in with OpenID Connect"). Its stored hash is no scrypt hash, so no password ever matches.
 */
export async function findOrCreateUser(knex: Knex, username: string): Promise<User> {
  await knex(TABLE).insert({ username, password_hash: '!' }).onConflict('username').ignore();
  const row = (await knex<UserRow>(TABLE).where({ username }).first())!;
  return { id: row.id, username: row.username };
}
