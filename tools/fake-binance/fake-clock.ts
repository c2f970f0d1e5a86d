/**
 * The fake exchange's virtual time. Normally it runs with the wall clock, `speed` times faster,
 * from a start time, and stands still while paused. With `manual` it moves only when the test
 * calls advance(): a test then says exactly when each bar closes, and no wall-clock race is left
 * (nothing is sent between two advances).
 */
export class FakeClock {
  private readonly startReal = Date.now();
  private pausedAt: number | undefined;
  private pausedTotal = 0;
  private manualNow: number | undefined;

  constructor(
    private readonly startVirtual: number,
    private readonly speed: number,
    manual = false,
  ) {
    if (manual) this.manualNow = startVirtual;
  }

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }

  get manual(): boolean {
    return this.manualNow !== undefined;
  }

  /** Virtual time, ms. */
  now(): number {
    if (this.manualNow !== undefined) return this.manualNow;
    const real = (this.pausedAt ?? Date.now()) - this.startReal - this.pausedTotal;
    return Math.floor(this.startVirtual + real * this.speed);
  }

  /** Real ms until the virtual clock reaches `virtualMs` (at least 1; a paused clock is polled). */
  realMsUntil(virtualMs: number): number {
    return Math.max(1, Math.ceil((virtualMs - this.now()) / this.speed));
  }

  pause(): void {
    this.pausedAt ??= Date.now();
  }

  resume(): void {
    if (this.pausedAt === undefined) return;
    this.pausedTotal += Date.now() - this.pausedAt;
    this.pausedAt = undefined;
  }

  /** Moves a manual clock forward by `ms`; returns the new time. */
  advance(ms: number): number {
    if (this.manualNow === undefined) throw new Error('the fake runs on the wall clock: start it with manualClock to advance it');
    if (!(ms >= 0)) throw new RangeError(`advance by a non-negative number of ms, got ${ms}`);
    return (this.manualNow += ms);
  }
}
