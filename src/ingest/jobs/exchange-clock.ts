/**
 * Binance's time as seen through the event times (`E`) of the frames we receive: the newest E
 * plus the (monotonic) time since it arrived. Deciding "is this bar closed" (REST rows,
 * sources.md: the last row may be the still-open bar) with it instead of the local clock means a
 * skewed or jumping local clock — or, in tests, the fake exchange's faster virtual clock — never
 * makes an open bar look closed. A stale frame (a burst after a reconnect, another market's
 * lagging connection) never moves it back. The newest E includes that frame's network latency,
 * so the estimate is a few ms behind the exchange: on the safe side for "closed".
 *
 * It lives in the ingest worker, which sees every frame; no setting or extra round trip needed.
 */
export class ExchangeClock {
  /** NaN before the first frame: a number field is overwritten in place (an `undefined` one would box every update). */
  private newestE = NaN;
  private receivedAt = 0;

  constructor(
    private readonly wall: () => number = Date.now,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** An event time (ms) just received. */
  observe(eventTimeMs: number): void {
    if (!Number.isFinite(eventTimeMs)) return;
    // now() ≥ newestE: a frame no newer than the newest one seen cannot move it (no clock read).
    if (!Number.isNaN(this.newestE) && (eventTimeMs <= this.newestE || eventTimeMs <= this.now())) return;
    this.newestE = eventTimeMs;
    this.receivedAt = this.monotonic();
  }

  /** Exchange time (ms); the wall clock until the first frame arrives. */
  now(): number {
    return Number.isNaN(this.newestE) ? this.wall() : this.newestE + (this.monotonic() - this.receivedAt);
  }

  /** Exchange minus wall-clock time (ms), or null before the first frame. */
  get offset(): number | null {
    return Number.isNaN(this.newestE) ? null : Math.round(this.now() - this.wall());
  }
}
