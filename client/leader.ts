/**
 * What the leader tab does for all tabs, and only it: ping the server (at most once per ping
 * interval while the user is active, retried with backoff when it fails), check with the server
 * just before the warning and at the expiry deadline, and log out. The number of requests does not
 * depend on the number of tabs.
 */
import type { EndReason } from '../shared/protocol';
import { pingIntervalMs, type ResolvedOptions } from './options';
import { expireAt, warnAt, type SharedState } from './state';
import { backoffDelay, Deadline } from './timers';
import type { PingResult, Transport } from './transport';

/** Longest wait for the server's opinion before showing the warning anyway (it is only a warning). */
export const WARN_CHECK_MAX_WAIT_MS = 1000;
/** Longest wait between two retries of a failed ping or logout. */
export const MAX_BACKOFF_MS = 60_000;

/** A ping and what it reported. */
export interface PingOutcome {
  result: PingResult;
  /** Epoch ms it was sent. */
  sentAt: number;
  /** The `idleFor` it sent. */
  sentIdle: number;
}

/** What the leader needs from the controller. */
export interface LeaderHost {
  readonly state: SharedState;
  readonly options: ResolvedOptions;
  readonly transport: Transport;
  /** Merges a successful ping answer (settings, activity the server knows of). */
  applyServer(outcome: PingOutcome & { result: { kind: 'ok' } }): void;
  /** Shows the warning in every tab. */
  enterWarning(): void;
  /** Hides the page while the end is confirmed. */
  lockPending(): void;
  /** Ends the session in every tab. */
  end(reason: EndReason, confirmed: boolean): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class LeaderDuties {
  private lastPingAt = -Infinity;
  /** The newest activity the server has been told of. */
  private reported = -Infinity;
  private failures = 0;
  private retryAt = -Infinity;
  private inFlight: Promise<PingOutcome> | null = null;
  private checking = false;
  private logoutFailures = 0;
  private logoutAt = -Infinity;
  private loggingOut = false;
  private stopped = false;
  private readonly pingTimer = new Deadline(() => void this.ping());
  private readonly checkTimer = new Deadline(() => void this.check());
  private readonly logoutTimer = new Deadline(() => void this.retryLogout());

  constructor(private readonly host: LeaderHost) {}

  /** Takes over: one ping at once (settings, and the server's view), then the schedule. */
  start(): void {
    // An ended session only needs its logout confirmed (see schedule).
    if (this.host.state.phase !== 'ended') void this.ping();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.pingTimer.clear();
    this.checkTimer.clear();
    this.logoutTimer.clear();
  }

  /** Re-arms the timers from the state (after any change). */
  schedule(): void {
    if (this.stopped) return;
    const s = this.host.state;
    if (s.phase === 'ended') {
      this.pingTimer.clear();
      this.checkTimer.clear();
      if (!s.confirmed && !this.loggingOut) this.logoutTimer.set(Math.max(this.logoutAt, 0));
      return;
    }
    if (s.lastActivity > this.reported && !this.inFlight) {
      this.pingTimer.set(Math.max(this.lastPingAt + pingIntervalMs(this.host.options, s.warnAfter), this.retryAt));
    } else if (!this.inFlight) {
      this.pingTimer.clear();
    }
    if (!this.checking) this.checkTimer.set(s.phase === 'active' ? warnAt(s) : expireAt(s));
  }

  /** Wall-clock re-check (the tab woke up, came back, or another tab passed a deadline). */
  recheck(): void {
    this.pingTimer.recheck();
    this.checkTimer.recheck();
    this.logoutTimer.recheck();
  }

  /** New activity; `extend` (Stay signed in) pings at once instead of waiting for the interval. */
  onActivity(extend: boolean): void {
    if (extend && !this.stopped) {
      if (this.inFlight) void this.inFlight.then(() => this.ping());
      else void this.ping();
      return;
    }
    this.schedule();
  }

  /** Back online: retry what failed now rather than after the backoff. */
  onOnline(): void {
    this.retryAt = -Infinity;
    this.logoutAt = -Infinity;
    this.schedule();
    this.recheck();
  }

  /** One ping at a time: a ping asked for while one is in flight shares its outcome. */
  ping(): Promise<PingOutcome> {
    if (this.inFlight) return this.inFlight;
    const s = this.host.state;
    const sentAt = Date.now();
    const sentActivity = s.lastActivity;
    const sentIdle = Math.max(0, (sentAt - sentActivity) / 1000);
    this.lastPingAt = sentAt;
    this.pingTimer.clear();
    const flight = (async (): Promise<PingOutcome> => {
      let result: PingResult;
      try {
        result = await this.host.transport.ping(sentIdle);
      } catch (err) {
        // A custom transport that throws is treated like a network failure.
        result = { kind: 'failed', error: String(err) };
      }
      const outcome = { result, sentAt, sentIdle };
      this.inFlight = null;
      if (this.stopped) return outcome;
      if (result.kind === 'ok') {
        this.failures = 0;
        this.retryAt = -Infinity;
        this.reported = Math.max(this.reported, sentActivity);
        this.host.applyServer(outcome as PingOutcome & { result: { kind: 'ok' } });
      } else if (result.kind === 'ended') {
        this.host.end(result.reason, true);
      } else {
        this.failures += 1;
        this.retryAt = Date.now() + backoffDelay(this.failures, { maxMs: MAX_BACKOFF_MS });
      }
      this.schedule();
      return outcome;
    })();
    this.inFlight = flight;
    return flight;
  }

  /** At the warning and at the expiry deadline: ask the server before acting. */
  private async check(): Promise<void> {
    if (this.checking || this.stopped) return;
    const s = this.host.state;
    if (s.phase === 'active' && Date.now() >= warnAt(s)) {
      this.checking = true;
      try {
        await Promise.race([this.ping(), sleep(WARN_CHECK_MAX_WAIT_MS)]);
      } finally {
        this.checking = false;
      }
      // Newer activity (here, in another tab, or known to the server) moved the deadline: no warning.
      if (!this.stopped && s.phase === 'active' && Date.now() >= warnAt(s)) this.host.enterWarning();
    } else if (s.phase === 'warning' && Date.now() >= expireAt(s)) {
      this.checking = true;
      this.host.lockPending();
      let outcome: PingOutcome;
      try {
        outcome = await this.ping();
      } finally {
        this.checking = false;
      }
      if (!this.stopped && s.phase === 'warning' && Date.now() >= expireAt(s)) {
        if (outcome.result.kind === 'ok') {
          // The server agrees: end the session there first, so its cookie is refused at once.
          this.loggingOut = true;
          const logout = await this.host.transport.logout().catch(() => ({ kind: 'failed' as const }));
          this.loggingOut = false;
          this.host.end('expired', logout.kind === 'ok');
        } else {
          // No server to ask: lock anyway (security wins); the logout is retried when it is back.
          this.host.end('expired', false);
        }
      }
    }
    this.schedule();
  }

  private async retryLogout(): Promise<void> {
    const s = this.host.state;
    if (this.loggingOut || this.stopped || s.phase !== 'ended' || s.confirmed) return;
    this.loggingOut = true;
    const result = await this.host.transport.logout().catch(() => ({ kind: 'failed' as const }));
    this.loggingOut = false;
    if (this.stopped) return;
    if (result.kind === 'ok') {
      this.host.end(s.reason ?? 'expired', true);
    } else {
      this.logoutFailures += 1;
      this.logoutAt = Date.now() + backoffDelay(this.logoutFailures, { maxMs: MAX_BACKOFF_MS });
      this.schedule();
    }
  }
}
