import type { SweepResult } from '../store/types';

interface Sweepable {
  readonly options: { sweepIntervalMs: number };
  sweep(): Promise<SweepResult>;
}

/**
 * Runs `sweep()` every `sweepInterval`, so ended and expired records do not pile up even for
 * sessions that never come back. Safe on every instance at once: each statement only ends records
 * that are still active, so two sweeps never end (or report) the same record twice.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly owner: Sweepable) {}

  start(): void {
    const interval = this.owner.options.sweepIntervalMs;
    if (this.timer || interval <= 0) return;
    this.timer = setInterval(() => void this.tick(), interval);
    // The sweep must never keep a process alive on its own.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.owner.sweep();
    } catch {
      // The database is unavailable; the next tick tries again, and requests fail closed meanwhile.
    } finally {
      this.running = false;
    }
  }
}
