import { binanceSeriesOf } from '../../domain/binance-symbols.js';
import { CANDLE_STRIDE, candleCount } from '../../domain/candle.js';
import { mergeAscending } from '../../domain/candle-batch.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import type { MarketStore } from '../store/market-store.js';
import type { BackfillService, Committed } from './backfill-service.js';
import type { HolesMetrics } from './holes-metrics.js';
import { missingRanges } from './tail-plan.js';
import { withinWait } from './within-wait.js';

const log = createLogger('holes.scroll-back');

/** Holes of one window asked for one by one; beyond, one range spans them. */
const MAX_RANGES = 8;
/**
 * A window the exchange was asked about is not asked again for this long: what it lacked then
 * (bars before a listing, a maintenance hole) it lacks now, and a chart scrolled back and forth
 * must not spend weight on it every time.
 */
const ASKED_TTL_MS = 10 * 60_000;
/** Bounds of that memory: series remembered, and ranges per series. */
const MAX_ASKED_SERIES = 10_000;
const MAX_ASKED_RANGES = 32;

interface AskedRange {
  readonly from: number;
  readonly to: number;
  readonly at: number;
}

export interface ScrollBackOptions {
  readonly store: Pick<MarketStore, 'before'>;
  readonly backfill: Pick<BackfillService, 'fetchRange' | 'hasExchange'>;
  readonly metrics: HolesMetrics;
  /** Longest a read waits for the exchange (MARKET_TAIL_COVERAGE_WAIT_MS). */
  readonly waitMs: number;
  readonly clock?: Clock;
}

/**
 * Scroll-back (`GET /api/market/candles?before=T&limit=N`, issue 11): the N closed candles before
 * T, ascending. The store answers first; for a Binance series the bars of the N-bar window before
 * T that it lacks are fetched from REST (at most N bars per request: the read's own bound),
 * committed, and merged into the answer. What the exchange does not have either (before the
 * symbol's listing, maintenance holes) is simply absent: the answer then has fewer candles, and
 * the client asks again with `before` = its first candle.
 */
export class ScrollBack {
  private readonly asked = new Map<string, AskedRange[]>();
  private readonly clock: Clock;

  constructor(private readonly opts: ScrollBackOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  async read(seriesId: string, before: number, limit: number): Promise<{ readonly data: Float64Array; readonly head: number | null }> {
    const stored = await this.opts.store.before(seriesId, before, limit);
    let tf: number;
    try {
      tf = binanceSeriesOf(seriesId).tfSeconds;
    } catch {
      return stored; // not a series the exchange serves
    }
    if (!this.opts.backfill.hasExchange) return stored;
    const last = Math.ceil(before / tf) * tf - tf; // the newest bar that opens before T
    const first = last - (limit - 1) * tf;
    if (last < 0) return stored;
    const times = Array.from({ length: candleCount(stored.data) }, (_, i) => stored.data[i * CANDLE_STRIDE]!);
    const ranges = missingRanges(times, Math.max(0, first), last, tf, MAX_RANGES).filter(([from, to]) => !this.askedLately(seriesId, from, to));
    if (ranges.length === 0) return stored;
    const fetch = Promise.all(ranges.map(([from, to]) => this.opts.backfill.fetchRange(seriesId, from, to))).then((fetched) => {
      // Only a complete answer is remembered: a failed one is asked again by the next read.
      fetched.forEach((f, i) => f.ok && this.remember(seriesId, ranges[i]![0], ranges[i]![1]));
      this.opts.metrics.recordScrollback(seriesId, fetched);
      const failed = fetched.find((f) => !f.ok);
      if (failed) log.warn('scroll-back fetch stopped short; answering what is stored', { seriesId, before, ranges, error: failed.error?.message });
      return fetched;
    });
    const fetched = await withinWait(fetch, this.opts.waitMs, this.clock, () =>
      log.warn('scroll-back fetch is slow; answering what is stored', { seriesId, before, waitedMs: this.opts.waitMs }),
    );
    if (fetched === null) return stored;
    return { data: newestBefore(merged(stored.data, fetched), before, limit), head: stored.head };
  }

  /** Whether the exchange answered a range holding `from`..`to` within ASKED_TTL_MS. */
  private askedLately(seriesId: string, from: number, to: number): boolean {
    const now = this.clock.now();
    return (this.asked.get(seriesId) ?? []).some((r) => r.from <= from && to <= r.to && now - r.at < ASKED_TTL_MS);
  }

  /** Remembers a range the exchange answered in full (bounded: the oldest are forgotten first). */
  private remember(seriesId: string, from: number, to: number): void {
    const ranges = this.asked.get(seriesId) ?? [];
    this.asked.delete(seriesId); // re-insert: least recently used series first
    this.asked.set(seriesId, [...ranges.slice(-(MAX_ASKED_RANGES - 1)), { from, to, at: this.clock.now() }]);
    if (this.asked.size > MAX_ASKED_SERIES) this.asked.delete(this.asked.keys().next().value!);
  }
}

function merged(stored: Float64Array, fetched: readonly Committed[]): Float64Array {
  let out = stored;
  for (const f of fetched) if (candleCount(f.candles) > 0) out = mergeAscending(out, f.candles);
  return out;
}

/** The last `limit` candles with time < before of an ascending run. */
function newestBefore(data: Float64Array, before: number, limit: number): Float64Array {
  let end = candleCount(data);
  while (end > 0 && data[(end - 1) * CANDLE_STRIDE]! >= before) end--;
  const start = Math.max(0, end - limit);
  return data.slice(start * CANDLE_STRIDE, end * CANDLE_STRIDE);
}
