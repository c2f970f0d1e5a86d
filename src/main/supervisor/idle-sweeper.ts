import type { Clock, Timer } from '../../shared/clock.js';

/**
 * One timer, at the next idle job's TTL: `nextExpiry` says when that is (null = nothing idle),
 * `sweep` stops what has expired. `arm()` after every change that may move the next expiry.
 */
export class IdleSweeper {
  private timer: Timer | undefined;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly nextExpiry: () => number | null,
    private readonly sweep: (now: number) => void,
  ) {}

  /**
   * (Re)arms the timer. Re-arming after every sweep matters: a timer may fire a millisecond before
   * the wall clock says the TTL is over (libuv measures from its cached loop time), and that job
   * must still be stopped.
   */
  arm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.nextExpiry();
    if (next === null || this.closed) return;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.sweep(this.clock.now());
        this.arm();
      },
      Math.max(1, next - this.clock.now()),
    );
  }

  /** No timer from here on. */
  close(): void {
    this.closed = true;
    this.arm();
  }
}
