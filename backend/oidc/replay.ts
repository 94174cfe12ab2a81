/**
 * The logout tokens (`jti`) an instance has accepted, so that the same token is refused the
 * second time (OpenID Connect Back-Channel Logout 1.0, 2.6: "MAY verify that another Logout Token
 * with the same jti value has not been recently received").
 *
 * In memory, per instance: another instance behind the same load balancer has not seen the token
 * and accepts it once more. That is harmless by design rather than by luck:
 * - a token is accepted only while it is young (its `exp`, and `iat` within `MAX_TOKEN_AGE_S`; see
 *   `logout-token.ts`), and remembered here until then, so replay across time is refused everywhere;
 * - a replay can only log out, never log in, and only what the first delivery ended: a token ends
 *   the sessions signed in before it was issued (its `iat`, give or take the clock tolerance; see
 *   `routes/backchannel.ts`), all of which the first delivery ended already — a `sub`-only token
 *   replayed elsewhere does not touch that user's later sign-ins.
 * A shared replay store would add a write to every logout for nothing more.
 */

/** Most tokens remembered: far more than an instance receives within a token's lifetime. */
export const MAX_SEEN_TOKENS = 10_000;

/** @internal */
export class SeenTokens {
  /** Key → until when (epoch ms) it is remembered; insertion order is the eviction order. */
  private readonly seen = new Map<string, number>();
  /** Keys being handled now (verified, not yet done): a second delivery meanwhile is a replay too. */
  private readonly pending = new Set<string>();

  constructor(
    private readonly now: () => number,
    private readonly max = MAX_SEEN_TOKENS,
  ) {}

  /**
   * Reserves `key` (issuer and jti) while its token is handled; false when it was seen, or is
   * being handled. Then {@link done} keeps it until `until`, or {@link release} forgets it (the
   * revocation failed: the provider's retry must be accepted).
   */
  reserve(key: string): boolean {
    this.purge();
    if (this.pending.has(key) || this.seen.has(key)) return false;
    this.pending.add(key);
    return true;
  }

  /** The token was handled: remembered until `until` (epoch ms), past which it is refused as too old anyway. */
  done(key: string, until: number): void {
    this.pending.delete(key);
    if (this.seen.size >= this.max) {
      // Full (a flood of valid tokens): the oldest entry goes, the only weakening there is —
      // that token could be replayed once on this instance, to the effect described above.
      this.seen.delete(this.seen.keys().next().value as string);
    }
    this.seen.set(key, until);
  }

  release(key: string): void {
    this.pending.delete(key);
  }

  /** How many tokens are remembered (for tests). */
  get size(): number {
    return this.seen.size;
  }

  /** Forgets the tokens past their time, oldest first (entries are nearly in expiry order). */
  private purge(): void {
    const now = this.now();
    for (const [key, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(key);
    }
  }
}
