import type { Clock } from '../../shared/clock.js';

/** Width of one bucket and number of buckets: a sliding one-minute window in 5 s steps. */
const BUCKET_MS = 5_000;
const BUCKETS = 12;

/**
 * Events per second over the last minute (per-series ingest rate for the debug endpoint). A ring
 * of per-5-s counters, reset lazily as time moves on: O(1) per event, no timers. Prometheus users
 * take `rate()` of the matching counter instead; this is for humans reading ingest_state.
 */
export class RateMeter {
  private readonly counts = new Float64Array(BUCKETS);
  /** Bucket number (time / BUCKET_MS) each slot currently holds. */
  private readonly epochs = new Float64Array(BUCKETS).fill(-1);
  /** The bucket the last event fell in: `[start, start + BUCKET_MS)` and its slot. */
  private start = Infinity;
  private slot = 0;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** `now`: the caller's clock reading (ingest reads the clock once per socket read, not per frame). */
  record(now: number = this.clock.now(), n = 1): void {
    // Two comparisons per event while it stays in the same bucket (it runs per frame per series).
    if (now < this.start || now - this.start >= BUCKET_MS) this.enter(now);
    this.counts[this.slot] += n;
  }

  private enter(now: number): void {
    const epoch = Math.floor(now / BUCKET_MS);
    const slot = epoch % BUCKETS;
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch;
      this.counts[slot] = 0;
    }
    this.start = epoch * BUCKET_MS;
    this.slot = slot;
  }

  /** Average events per second over the last full minute (the current bucket included). */
  perSecond(): number {
    const epoch = Math.floor(this.clock.now() / BUCKET_MS);
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) if (this.epochs[i]! > epoch - BUCKETS) total += this.counts[i]!;
    return total / ((BUCKETS * BUCKET_MS) / 1000);
  }
}
