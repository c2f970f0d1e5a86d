import type { BinanceSeries } from '../../domain/binance-symbols.js';
import { CANDLE_STRIDE } from '../../domain/candle.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { createLogger, type Logger } from '../../shared/log.js';
import type { BinanceRestClient, BinanceRestError, GapFillResult, KlineRange } from '../../exchange/binance/binance-rest.js';

/**
 * The ingest worker's queue of holes its jobs found in their own streams (gap-policy.ts, "held"),
 * fetched from REST one range at a time per series, and as many series at once as the weight
 * budget can pay for (up to `concurrency`): with a slow exchange, fills wait on latency, not on
 * each other (issue 15: at 2 at a time, 50 holes with a 4 s exchange took 109 s and most series
 * passed the 30 s hold). One fill per market always runs, so a rate limit holds it in the budget
 * instead of starving the queue. Ranges of a series are merged, and a request already covered by
 * one in flight or queued is dropped, so a hole seen both at start-up (store head → now) and by
 * the first live close is fetched once.
 */
export interface HoleFetchQueueOptions {
  readonly rest: Readonly<Record<LiveMarket, BinanceRestClient>>;
  /** Closed candles fetched for a series (ascending, packed), page by page. */
  readonly onCandles: (seriesId: string, packed: Float64Array) => void;
  /**
   * A fill attempt finished (ok or not); jobs count it in their stats. `settled`: nothing more is
   * queued or running for the series (a job holding candles behind the hole releases them then).
   */
  readonly onDone?: (seriesId: string, result: GapFillResult, settled: boolean) => void;
  /** Most series filled at once (default MAX_CONCURRENT_FILLS); fewer when the budget is short. */
  readonly concurrency?: number;
  /** Largest hole filled, in bars; older bars beyond it are left to history import (default 50,000). */
  readonly maxBars?: number;
  readonly logger?: Logger;
}

interface Range {
  from: number;
  to: number;
  /** Earlier tries that stopped on a transient error. */
  attempts: number;
}

/**
 * Fills in flight per worker at most. 50 holes then take 2 exchange round trips; more sockets buy
 * little once latency, not the budget, is what each fill waits on.
 */
export const MAX_CONCURRENT_FILLS = 32;
/** Tries per range after errors of the exchange or the network. */
const MAX_ATTEMPTS = 3;
const RETRYABLE = new Set(['rate_limited', 'ip_banned', 'network', 'bad_response']);
/**
 * Rate limits and bans use no try: the budget holds the next one until Retry-After, for every
 * series. Giving up on them left holes in the store that nothing filled later (a 429 seen by one
 * ingest worker while another kept calling gets the IP a 418; chaos probe "upstream faults").
 */
const WAITED_OUT = new Set(['rate_limited', 'ip_banned']);

/** Worth another try: rate limits, bans, network trouble, and the exchange's own 5xx. */
function retryable(error: BinanceRestError): boolean {
  return RETRYABLE.has(error.code) || (error.code === 'http' && (error.status ?? 0) >= 500);
}

interface SeriesQueue {
  readonly series: BinanceSeries;
  readonly ranges: Range[];
  active: Range | undefined;
}

export class HoleFetchQueue {
  private readonly queues = new Map<string, SeriesQueue>();
  private readonly ready: string[] = [];
  private running = 0;
  private readonly runningIn: Record<LiveMarket, number> = { spot: 0, futures: 0 };
  private closed = false;
  private readonly controller = new AbortController();
  private readonly log: Logger;

  constructor(private readonly opts: HoleFetchQueueOptions) {
    this.log = opts.logger ?? createLogger('ingest.gap-fill');
  }

  /** Asks for candle times `from`..`to` (seconds, inclusive) of a series. */
  request(series: BinanceSeries, from: number, to: number): void {
    if (this.closed || to < from) return;
    const maxBars = this.opts.maxBars ?? 50_000;
    if ((to - from) / series.tfSeconds + 1 > maxBars) {
      const trimmed = to - (maxBars - 1) * series.tfSeconds;
      this.log.warn('hole larger than the gap-fill limit; filling its newest part', { seriesId: series.seriesId, from, to, filledFrom: trimmed });
      from = trimmed;
    }
    let q = this.queues.get(series.seriesId);
    if (q === undefined) this.queues.set(series.seriesId, (q = { series, ranges: [], active: undefined }));
    for (const covered of q.active ? [q.active, ...q.ranges] : q.ranges) {
      if (from >= covered.from && to <= covered.to) return;
    }
    q.ranges.push({ from, to, attempts: 0 });
    mergeRanges(q.ranges, series.tfSeconds);
    if (q.active === undefined && !this.ready.includes(series.seriesId)) this.ready.push(series.seriesId);
    this.pump();
  }

  /** Drops what is queued for a series (job stopped); a fill in flight finishes and is discarded. */
  cancel(seriesId: string): void {
    this.queues.delete(seriesId);
    const i = this.ready.indexOf(seriesId);
    if (i >= 0) this.ready.splice(i, 1);
  }

  get pending(): number {
    let n = this.running;
    for (const q of this.queues.values()) n += q.ranges.length;
    return n;
  }

  close(): void {
    this.closed = true;
    this.controller.abort();
    this.queues.clear();
    this.ready.length = 0;
  }

  /**
   * Starts fills in queue order while fewer than `concurrency` run: the first of a market always,
   * more while its budget can pay for their first request now (that request takes its weight at
   * once, so the next check sees what is left). A series its market cannot pay for keeps its place.
   */
  private pump(): void {
    const max = this.opts.concurrency ?? MAX_CONCURRENT_FILLS;
    for (let i = 0; i < this.ready.length && !this.closed && this.running < max;) {
      const q = this.queues.get(this.ready[i]!);
      const range = q?.ranges[0];
      if (q === undefined || range === undefined) {
        this.ready.splice(i, 1);
        continue;
      }
      const market = q.series.market;
      if (this.runningIn[market] > 0 && !this.opts.rest[market].canStartNow(klineRange(q, range))) {
        i++;
        continue;
      }
      this.ready.splice(i, 1);
      q.ranges.shift();
      q.active = range;
      this.running++;
      this.runningIn[market]++;
      void this.fill(q, range);
    }
  }

  private async fill(q: SeriesQueue, range: Range): Promise<void> {
    const { series } = q;
    const id = series.seriesId;
    // Pages go on as they arrive (a long fill shows its progress, series health); the rest at the end.
    let delivered = 0;
    const result = await this.opts.rest[series.market].fetchClosed(klineRange(q, range), this.controller.signal, (page) => {
      if (this.closed || this.queues.get(id) !== q) return;
      delivered += page.length;
      this.opts.onCandles(id, page);
    });
    this.running--;
    this.runningIn[series.market]--;
    q.active = undefined;
    if (this.closed) return;
    if (this.queues.get(id) === q) {
      if (result.candles.length > delivered) this.opts.onCandles(id, result.candles.subarray(delivered));
      const waitedOut = !result.ok && WAITED_OUT.has(result.error.code);
      if (!result.ok && retryable(result.error) && (waitedOut || range.attempts + 1 < MAX_ATTEMPTS)) {
        // Keep what arrived; ask again for the rest.
        const got = result.candles.length > 0 ? result.candles[result.candles.length - CANDLE_STRIDE]! : range.from - series.tfSeconds;
        const attempts = waitedOut ? range.attempts : range.attempts + 1;
        if (got + series.tfSeconds <= range.to) {
          q.ranges.unshift({ from: got + series.tfSeconds, to: range.to, attempts });
          // A hole found while this one was in flight (a reconnect inside a bar's close grace shows
          // its hole in two parts) is asked for in the same try, not in a fill of its own after.
          mergeRanges(q.ranges, series.tfSeconds);
        }
      }
      const settled = q.ranges.length === 0;
      if (settled) this.queues.delete(id);
      else this.ready.push(id);
      this.opts.onDone?.(id, result, settled);
    }
    this.pump();
  }
}

/**
 * Sorts a series' queued ranges and joins overlapping and adjacent ones in place. A joined range
 * keeps the most tries spent by either part: tries stay bounded per hole, and a hole joined to one
 * the exchange keeps failing does not restart its count (the job holds candles meanwhile).
 */
function mergeRanges(ranges: Range[], tfSeconds: number): void {
  ranges.sort((a, b) => a.from - b.from);
  for (let i = ranges.length - 1; i > 0; i--) {
    const a = ranges[i - 1]!;
    const b = ranges[i]!;
    if (b.from <= a.to + tfSeconds) {
      a.to = Math.max(a.to, b.to);
      a.attempts = Math.max(a.attempts, b.attempts);
      ranges.splice(i, 1);
    }
  }
}

function klineRange(q: SeriesQueue, range: Range): KlineRange {
  const { series } = q;
  return { symbol: series.symbol, interval: series.interval, tfSeconds: series.tfSeconds, fromTime: range.from, toTime: range.to };
}
