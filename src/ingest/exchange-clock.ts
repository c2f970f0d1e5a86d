/**
 * Binance's time as seen through the event times (`E`) of the frames we receive: the local clock
 * plus the offset of the newest frame. Deciding "is this bar closed" (REST rows, sources.md: the
 * last row may be the still-open bar) with it instead of the local clock means a skewed local
 * clock — or, in tests, the fake exchange's faster virtual clock — never makes an open bar look
 * closed. The offset includes the network latency of the newest frame, so the estimate is a few
 * ms behind the exchange: on the safe side for "closed".
 *
 * It lives in the ingest worker, which sees every frame; no setting or extra round trip needed.
 */
export class ExchangeClock {
  private offsetMs: number | undefined;

  constructor(private readonly local: () => number = Date.now) {}

  /** An event time (ms) just received. */
  observe(eventTimeMs: number): void {
    if (Number.isFinite(eventTimeMs)) this.offsetMs = eventTimeMs - this.local();
  }

  /** Exchange time (ms); the local clock until the first frame arrives. */
  now(): number {
    return this.local() + (this.offsetMs ?? 0);
  }

  /** Exchange minus local time (ms), or null before the first frame. */
  get offset(): number | null {
    return this.offsetMs ?? null;
  }
}
