import type { BinanceSeries } from '../../domain/binance-symbols.js';
import { CANDLE_STRIDE } from '../../domain/candle.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { createLogger, type Logger } from '../../shared/log.js';
import type { BinanceRestClient, GapFillResult } from '../../exchange/binance/binance-rest.js';

/**
 * Queue of holes to fill from REST, one series at a time per series and `concurrency` series at
 * once per worker (the shared weight budget paces the requests themselves). Ranges of a series
 * are merged, and a request already covered by one in flight or queued is dropped, so a hole seen
 * both at start-up (store head → now) and by the first live close is fetched once.
 */
export interface GapFillerOptions {
  readonly rest: Readonly<Record<LiveMarket, BinanceRestClient>>;
  /** Closed candles fetched for a series (ascending, packed), page by page. */
  readonly onCandles: (seriesId: string, packed: Float64Array) => void;
  /**
   * A fill attempt finished (ok or not); jobs count it in their stats. `settled`: nothing more is
   * queued or running for the series (a job holding candles behind the hole releases them then).
   */
  readonly onDone?: (seriesId: string, result: GapFillResult, settled: boolean) => void;
  /** Series filled at once (default 2). */
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

/** Tries per range; rate limits and bans are waited out by the shared budget between tries. */
const MAX_ATTEMPTS = 3;
const RETRYABLE = new Set(['rate_limited', 'ip_banned', 'network', 'bad_response']);

interface SeriesQueue {
  readonly series: BinanceSeries;
  readonly ranges: Range[];
  active: Range | undefined;
}

export class GapFiller {
  private readonly queues = new Map<string, SeriesQueue>();
  private readonly ready: string[] = [];
  private running = 0;
  private closed = false;
  private readonly controller = new AbortController();
  private readonly log: Logger;

  constructor(private readonly opts: GapFillerOptions) {
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
    q.ranges.sort((a, b) => a.from - b.from);
    for (let i = q.ranges.length - 1; i > 0; i--) {
      const a = q.ranges[i - 1]!;
      const b = q.ranges[i]!;
      if (b.from <= a.to + series.tfSeconds) {
        a.to = Math.max(a.to, b.to);
        q.ranges.splice(i, 1);
      }
    }
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

  private pump(): void {
    while (!this.closed && this.running < (this.opts.concurrency ?? 2) && this.ready.length > 0) {
      const q = this.queues.get(this.ready.shift()!);
      const range = q?.ranges.shift();
      if (q === undefined || range === undefined) continue;
      q.active = range;
      this.running++;
      void this.fill(q, range);
    }
  }

  private async fill(q: SeriesQueue, range: Range): Promise<void> {
    const { series } = q;
    const id = series.seriesId;
    // Pages go on as they arrive (a long fill shows its progress, series health); the rest at the end.
    let delivered = 0;
    const result = await this.opts.rest[series.market].fetchClosed(
      { symbol: series.symbol, interval: series.interval, tfSeconds: series.tfSeconds, fromTime: range.from, toTime: range.to },
      this.controller.signal,
      (page) => {
        if (this.closed || this.queues.get(id) !== q) return;
        delivered += page.length;
        this.opts.onCandles(id, page);
      },
    );
    this.running--;
    q.active = undefined;
    if (this.closed) return;
    if (this.queues.get(id) === q) {
      if (result.candles.length > delivered) this.opts.onCandles(id, result.candles.subarray(delivered));
      if (!result.ok && RETRYABLE.has(result.error.code) && range.attempts + 1 < MAX_ATTEMPTS) {
        // Keep what arrived; ask again for the rest.
        const got = result.candles.length > 0 ? result.candles[result.candles.length - CANDLE_STRIDE]! : range.from - series.tfSeconds;
        if (got + series.tfSeconds <= range.to) q.ranges.unshift({ from: got + series.tfSeconds, to: range.to, attempts: range.attempts + 1 });
      }
      const settled = q.ranges.length === 0;
      if (settled) this.queues.delete(id);
      else this.ready.push(id);
      this.opts.onDone?.(id, result, settled);
    }
    this.pump();
  }
}
