import { binanceSeriesOf } from '../../domain/binance-symbols.js';
import { CANDLE_STRIDE, candleCount } from '../../domain/candle.js';
import { mergeAscending } from '../../domain/candle-batch.js';
import { BACKFILL_WAIT_MS, holeBars, lastMissingBar, type Hole } from '../../domain/gap-policy.js';
import { systemClock, type Clock, type Timer } from '../../shared/clock.js';
import { describeError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { CandleReader } from '../hub/candle-reader.js';
import type { MarketStore } from '../store/market-store.js';
import type { ExchangeKlines } from './exchange-klines.js';

const log = createLogger('holes.backfill');

/** What the hub asks before it announces a hole (gap-policy.ts, "filled"). */
export interface HoleBackfill {
  /** Committed candles inside the hole, ascending (empty when none can be found). */
  fillHole(seriesId: string, hole: Hole): Promise<Float64Array>;
}

export interface BackfillServiceOptions {
  /** Store reads (the tail cache answers none of these: holes are older than a tail). */
  readonly reader: Pick<CandleReader, 'between'>;
  /** Where fetched candles are committed (unpublished: history, not live). */
  readonly store: Pick<MarketStore, 'write'>;
  /** MARKET_GAP_BACKFILL_READ_LIMIT: most candles one fill reads and sends. */
  readonly readLimit: number;
  /** Longest a caller waits for the exchange (default BACKFILL_WAIT_MS). */
  readonly waitMs?: number;
  /** Times the wait (tests pass a ManualClock). */
  readonly clock?: Clock;
}

/**
 * The one backfill service of the main thread: a hole is read from the store first; what the
 * store lacks is fetched from the exchange (through an ingest worker, on its share of the REST
 * weight budget), committed through the writer, and only then handed out — so a client never
 * gets a candle that is not stored (invariant 1). Concurrent requests for the same range (many
 * clients resuming at once) share one fetch. Without an exchange (no live ingest, or a series
 * Binance cannot serve) the store is all there is.
 *
 * It is built before the hub and before ingest; the gateway connects the exchange once ingest
 * runs (`connectExchange`), so there is no construction cycle and no late-bound closure.
 */
export class BackfillService implements HoleBackfill {
  private exchange: ExchangeKlines | null = null;
  private readonly inFlight = new Map<string, Promise<Float64Array>>();
  private readonly waitMs: number;
  private readonly clock: Clock;

  constructor(private readonly opts: BackfillServiceOptions) {
    this.waitMs = opts.waitMs ?? BACKFILL_WAIT_MS;
    this.clock = opts.clock ?? systemClock;
  }

  /** Live ingest is running: fetch what the store lacks from it from now on. */
  connectExchange(exchange: ExchangeKlines): void {
    this.exchange = exchange;
  }

  async fillHole(seriesId: string, hole: Hole): Promise<Float64Array> {
    const read = await this.opts.reader.between(seriesId, hole.expectedNext, hole.actual - 1, this.opts.readLimit);
    const have = read.data.slice(read.from * CANDLE_STRIDE, read.to * CANDLE_STRIDE);
    let tf: number;
    try {
      tf = binanceSeriesOf(seriesId).tfSeconds;
    } catch {
      return have; // not a series the exchange serves: the store is all there is
    }
    const wanted = Math.min(this.opts.readLimit, holeBars(hole, tf));
    if (candleCount(have) >= wanted || this.exchange === null) return have;
    const to = Math.min(lastMissingBar(hole, tf), hole.expectedNext + (wanted - 1) * tf);
    const fetched = await this.withinWait(this.fetchAndCommit(seriesId, hole.expectedNext, to), { seriesId, from: hole.expectedNext, to });
    // What was fetched is committed now (upsert, last write wins), so it replaces what was read.
    return fetched === null ? have : mergeAscending(have, fetched);
  }

  /**
   * Fetches `from`..`to` from the exchange and commits it unpublished; resolves with the
   * committed candles (empty when the exchange had none or the commit failed). Never rejects;
   * one fetch per range at a time.
   */
  fetchAndCommit(seriesId: string, from: number, to: number): Promise<Float64Array> {
    const exchange = this.exchange;
    if (exchange === null) return Promise.resolve(new Float64Array(0));
    const key = `${seriesId}|${from}|${to}`;
    let pending = this.inFlight.get(key);
    if (pending) return pending;
    pending = this.fetchThenCommit(exchange, seriesId, from, to).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, pending);
    return pending;
  }

  private async fetchThenCommit(exchange: ExchangeKlines, seriesId: string, from: number, to: number): Promise<Float64Array> {
    const fields = { seriesId, from, to };
    try {
      const fetched = await exchange.fetchClosed(seriesId, from, to);
      const n = candleCount(fetched.candles);
      if (n > 0) await this.opts.store.write([{ seriesId, data: fetched.candles.slice() }], { publish: false });
      if (fetched.ok) log.info('gap backfilled from REST', { ...fields, candles: n });
      else log.warn('gap backfill from REST stopped short; subscribers get a gap', { ...fields, candles: n, error: fetched.error?.message });
      return fetched.candles;
    } catch (err) {
      log.warn('gap backfill from REST failed; subscribers get a gap', { ...fields, error: describeError(err) });
      return new Float64Array(0);
    }
  }

  /** The fetch's result, or null once the caller has waited `waitMs` (the fetch goes on). */
  private async withinWait(fetch: Promise<Float64Array>, fields: Record<string, unknown>): Promise<Float64Array | null> {
    let timer: Timer | undefined;
    const timeout = new Promise<null>(
      (resolve) =>
        (timer = this.clock.setTimeout(() => {
          log.warn('gap backfill from REST is slow; going on with what the store has', { ...fields, timeoutMs: this.waitMs });
          resolve(null);
        }, this.waitMs)),
    );
    try {
      return await Promise.race([fetch, timeout]);
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
  }
}
