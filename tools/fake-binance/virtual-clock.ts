/**
 * The fake exchange's clock: virtual ms that run `speed` times faster than the wall clock from
 * `startVirtual`, and that a test can stop (pause), move on by hand (skip, while paused) or hand
 * to the flood loop (steer: time moves one step per round, as fast as clients read).
 */
export class VirtualClock {
  private readonly startReal = Date.now();
  private pausedAt: number | undefined;
  private pausedTotal = 0;
  /** Virtual ms added by skip(). */
  private skipped = 0;
  private steered: number | undefined;

  constructor(
    readonly startVirtual: number,
    readonly speed: number,
    /** Paused from the start: now() is exactly startVirtual until resumed or skipped. */
    startPaused = false,
  ) {
    if (startPaused) this.pausedAt = this.startReal;
  }

  now(): number {
    if (this.steered !== undefined) return this.steered;
    const real = (this.pausedAt ?? Date.now()) - this.startReal - this.pausedTotal;
    return Math.floor(this.startVirtual + real * this.speed + this.skipped);
  }

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }

  get steering(): boolean {
    return this.steered !== undefined;
  }

  pause(): void {
    this.pausedAt ??= Date.now();
  }

  resume(): void {
    if (this.pausedAt === undefined) return;
    this.pausedTotal += Date.now() - this.pausedAt;
    this.pausedAt = undefined;
  }

  /** Moves a paused clock on by `ms` virtual ms. */
  skip(ms: number): void {
    if (!this.paused || this.steering) throw new Error('the fake clock moves by hand only while paused (pause() first, no flood)');
    this.skipped += ms;
  }

  /** Flood mode: time is `virtual` until released with undefined (then the wall clock again). */
  steer(virtual: number | undefined): void {
    this.steered = virtual;
  }
}
