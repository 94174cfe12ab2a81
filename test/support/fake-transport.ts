/**
 * An in-memory server for unit tests: it merges pings like the real one
 * (`lastActivity = max(stored, now - idleFor)`), and can fail, hang, or end the session on demand.
 * Time is `Date.now()`, so jest's fake timers drive it.
 */
import type { EndReason } from '../../shared/protocol';
import type { LogoutResult, PingResult, Transport } from '../../client/transport';
import type { SessionIdentity } from '../../client/state';

/** How the fake answers the next requests. */
export type FakeMode =
  | 'ok'
  /** Network error, 5xx or garbage: a `failed` result. */
  | 'fail'
  /** No answer until the timeout, then `failed`. */
  | 'hang';

export interface FakeTransport extends Transport {
  /** Server settings, in seconds. */
  warnAfter: number;
  expireAfter: number;
  /** Epoch ms of the last activity the server knows of. */
  lastActivity: number;
  /** Epoch ms of the session's absolute end (`maxAge`), or null. */
  maxAgeEndsAt: number | null;
  mode: FakeMode;
  /** When set, every request answers that the session ended for this reason. */
  ended: EndReason | null;
  /** When it ended (epoch ms; answers carry `endedFor`), or null. */
  endedAt: number | null;
  /** Timeout used by `hang`, in ms. */
  timeoutMs: number;
  /** `idleFor` of every ping received, and when. */
  readonly pings: { idleFor: number; at: number }[];
  readonly logouts: number[];
  /** The browser's current session, as the answers name it. */
  session: SessionIdentity;
  /** Activity the server saw from elsewhere (an ordinary request of the session). */
  touch(at?: number): void;
  /** The browser signs in again (as `user`, default the same user): a new live session. */
  signIn(user?: string): void;
}

export function createFakeTransport(settings: { warnAfter: number; expireAfter: number; timeoutMs?: number }): FakeTransport {
  const fake: FakeTransport = {
    warnAfter: settings.warnAfter,
    expireAfter: settings.expireAfter,
    lastActivity: Date.now(),
    maxAgeEndsAt: null,
    mode: 'ok',
    ended: null,
    endedAt: null,
    timeoutMs: settings.timeoutMs ?? 10_000,
    pings: [],
    logouts: [],
    session: { id: 's1', createdAt: Date.now(), user: 'u-alice' },
    touch(at = Date.now()) {
      fake.lastActivity = Math.max(fake.lastActivity, at);
    },
    signIn(user = fake.session.user ?? 'u-alice') {
      const n = Number(fake.session.id.slice(1)) + 1;
      Object.assign(fake, { ended: null, endedAt: null, lastActivity: Date.now(), maxAgeEndsAt: null });
      fake.session = { id: `s${n}`, createdAt: Date.now(), user };
    },
    async ping(idleFor): Promise<PingResult> {
      const now = Date.now();
      fake.pings.push({ idleFor, at: now });
      const failure = await failure_();
      if (failure) return failure;
      if (fake.ended) {
        return fake.endedAt === null
          ? { kind: 'ended', reason: fake.ended }
          : { kind: 'ended', reason: fake.ended, endedFor: (now - fake.endedAt) / 1000 };
      }
      fake.lastActivity = Math.max(fake.lastActivity, now - idleFor * 1000);
      // Like the server: a ping whose merged idle time reaches the deadline (less one second of
      // network latency), or past the absolute end, ends the session as expired.
      if (now - fake.lastActivity >= (fake.expireAfter - 1) * 1000 || (fake.maxAgeEndsAt !== null && now >= fake.maxAgeEndsAt)) {
        fake.ended = 'expired';
        return { kind: 'ended', reason: 'expired' };
      }
      const maxAgeLeft = fake.maxAgeEndsAt === null ? null : (fake.maxAgeEndsAt - now) / 1000;
      return {
        kind: 'ok',
        idleFor: (now - fake.lastActivity) / 1000,
        warnAfter: fake.warnAfter,
        expireAfter: fake.expireAfter,
        maxAgeLeft,
        session: { ...fake.session },
      };
    },
    async logout(reason): Promise<LogoutResult> {
      fake.logouts.push(Date.now());
      const failure = await failure_();
      if (failure) return failure;
      // Like the server: a session that had ended already is named in the answer (Session-Ended).
      const before = fake.ended;
      const expired = reason === 'expired' && Date.now() - fake.lastActivity >= (fake.expireAfter - 1) * 1000;
      fake.ended ??= expired ? 'expired' : 'logged-out';
      return before && before !== 'logged-out' ? { kind: 'ok', ended: before } : { kind: 'ok' };
    },
  };

  async function failure_(): Promise<{ kind: 'failed'; error: string } | null> {
    if (fake.mode === 'fail') return { kind: 'failed', error: 'offline' };
    if (fake.mode === 'hang') {
      await new Promise((resolve) => setTimeout(resolve, fake.timeoutMs));
      return { kind: 'failed', error: 'timeout' };
    }
    return null;
  }

  return fake;
}
