import { holeBars, holeBefore, lastMissingBar } from '../../domain/gap-policy.js';

/**
 * Watches the closed candle times of one series and reports holes for gap fill. Binance sends one
 * closed frame per bar; a reconnect, a silent socket or a dropped frame shows up as a jump: the
 * next closed time is more than one timeframe after the last. Every peer library leaves that to
 * its users (sources.md: ccxt #26945, cryptofeed #797); we fill it from REST.
 */
export type CloseObservation =
  /** First close seen and no seed: nothing to compare with. */
  | { readonly kind: 'first' }
  /** Exactly the bar after the last one. */
  | { readonly kind: 'next' }
  /** Bars `from`..`to` (candle times, seconds, inclusive) are missing before this one. */
  | { readonly kind: 'gap'; readonly from: number; readonly to: number; readonly bars: number }
  /** At or before the last close (a repeat, or a late frame): still worth storing, upsert is idempotent. */
  | { readonly kind: 'old' };

const FIRST = Object.freeze({ kind: 'first' as const });
const NEXT = Object.freeze({ kind: 'next' as const });
const OLD = Object.freeze({ kind: 'old' as const });

export class CloseTracker {
  private lastTime: number | undefined;
  gaps = 0;
  missingBars = 0;

  /** `lastClosed`: newest stored candle_time (e.g. the store head), so a restart detects its own downtime. */
  constructor(
    private readonly tfSeconds: number,
    lastClosed?: number,
  ) {
    this.lastTime = lastClosed;
  }

  get last(): number | undefined {
    return this.lastTime;
  }

  /** Moves the reference forward (e.g. the store head arrived after the job started). */
  seed(lastClosed: number): void {
    if (this.lastTime === undefined || lastClosed > this.lastTime) this.lastTime = lastClosed;
  }

  observe(candleTime: number): CloseObservation {
    const last = this.lastTime;
    if (last === undefined) {
      this.lastTime = candleTime;
      return FIRST;
    }
    if (candleTime <= last) return OLD;
    this.lastTime = candleTime;
    return this.missing(last, candleTime);
  }

  /**
   * The exchange has closed every bar up to `closedUpTo` (known from a forming frame's time, see
   * series-job.ts). Bars after the last close up to it that never arrived are a hole — the one a
   * start-up after downtime or a reconnect leaves, found without waiting for the next close
   * (which for a 1d series may be a day away). Without a reference (no head, no close yet) there
   * is nothing to compare with: the caller seeds one instead (series-job.ts).
   */
  reveal(closedUpTo: number): CloseObservation {
    const last = this.lastTime;
    if (last === undefined) return FIRST;
    if (closedUpTo <= last) return OLD;
    this.lastTime = closedUpTo;
    // Every bar up to closedUpTo is closed: the hole is the one before the bar after it.
    return this.missing(last, closedUpTo + this.tfSeconds);
  }

  /** The hole between the close at `last` and a candle at `next` (gap-policy.ts), if any. */
  private missing(last: number, next: number): CloseObservation {
    const hole = holeBefore(last, next, this.tfSeconds);
    // Binance bars are aligned to the timeframe; a non-aligned jump smaller than one bar is no hole.
    const bars = hole ? holeBars(hole, this.tfSeconds) : 0;
    if (!hole || bars === 0) return NEXT;
    this.gaps++;
    this.missingBars += bars;
    return { kind: 'gap', from: hole.expectedNext, to: lastMissingBar(hole, this.tfSeconds), bars };
  }
}
