import { binanceSeriesOf } from '../../domain/binance-symbols.js';
import { MARKET_LIMITS } from '../../exchange/binance/binance-endpoints.js';
import { candleCount } from '../../domain/candle.js';
import { mergeAscending } from '../../domain/candle-batch.js';
import { BACKFILL_WAIT_MS, holeBars, lastMissingBar, type Hole } from '../../domain/gap-policy.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { toWire } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { MarketStore } from '../store/market-store.js';
import type { ExchangeKlines } from './exchange-klines.js';
import type { HolesMetrics } from './holes-metrics.js';
import { fetchLatestPages } from './latest-pages.js';
import { withinWait } from './within-wait.js';

const log = createLogger('holes.backfill');

/** What the hub asks before it announces a hole (gap-policy.ts, "filled"). */
export interface HoleBackfill {
  /** Committed candles inside the hole, ascending (empty when none can be found). */
  fillHole(seriesId: string, hole: Hole): Promise<Float64Array>;
}

/** Candles fetched from the exchange and committed. */
export interface Committed {
  /** What is committed now, ascending (empty when the exchange had nothing or the commit failed). */
  readonly candles: Float64Array;
  /** False when the fetch stopped short or the commit failed: `error` says why. */
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly requests: number;
  readonly weight: number;
}

export interface CommittedLatest extends Committed {
  /** Open time of the bar forming on the exchange; null when unknown (no bars, or no answer). */
  readonly currentOpen: number | null;
}

export interface BackfillServiceOptions {
  /**
   * Hole reads (the tail cache answers none of these: holes are older than a tail) and commits of
   * fetched candles (unpublished: history, not live).
   */
  readonly store: Pick<MarketStore, 'between' | 'write'>;
  /** MARKET_GAP_BACKFILL_READ_LIMIT: most candles one fill reads and sends. */
  readonly readLimit: number;
  readonly metrics?: HolesMetrics;
  /** Longest a caller waits for the exchange (default BACKFILL_WAIT_MS). */
  readonly waitMs?: number;
  /** Times the wait (tests pass a ManualClock). */
  readonly clock?: Clock;
}

/**
 * The one backfill service of the main thread. Whatever the store lacks — a hole a subscriber is
 * about to see, the tail of a series read for the first time, older bars scrolled back to — is
 * fetched from the exchange (through an ingest worker, on its share of the REST weight budget),
 * committed through the writer (unpublished), and only then handed out: a client never gets a
 * candle that is not stored (invariant 1). Concurrent requests for the same range share one
 * fetch. Without an exchange (no live ingest, or a series Binance cannot serve) the store is all
 * there is.
 *
 * It is built before the hub and before ingest; the ingest supervisor registers itself as the
 * exchange (`connectExchange`), so there is no construction cycle and no late-bound closure.
 */
export class BackfillService implements HoleBackfill {
  private exchangeKlines: ExchangeKlines | null = null;
  private readonly inFlight = new Map<string, Promise<Committed>>();
  private readonly waitMs: number;
  private readonly clock: Clock;

  constructor(private readonly opts: BackfillServiceOptions) {
    this.waitMs = opts.waitMs ?? BACKFILL_WAIT_MS;
    this.clock = opts.clock ?? systemClock;
  }

  /** Live ingest is running: fetch what the store lacks from it from now on. */
  connectExchange(exchange: ExchangeKlines): void {
    this.exchangeKlines = exchange;
  }

  get hasExchange(): boolean {
    return this.exchangeKlines !== null;
  }

  async fillHole(seriesId: string, hole: Hole): Promise<Float64Array> {
    const have = (await this.opts.store.between(seriesId, hole.expectedNext, hole.actual - 1, this.opts.readLimit)).data;
    let tf: number;
    try {
      tf = binanceSeriesOf(seriesId).tfSeconds;
    } catch {
      return have; // not a series the exchange serves: the store is all there is
    }
    const wanted = Math.min(this.opts.readLimit, holeBars(hole, tf));
    if (candleCount(have) >= wanted || this.exchangeKlines === null) return have;
    const to = Math.min(lastMissingBar(hole, tf), hole.expectedNext + (wanted - 1) * tf);
    const fields = { seriesId, from: hole.expectedNext, to };
    const fetch = this.fetchRange(seriesId, hole.expectedNext, to).then((r) => {
      this.opts.metrics?.recordHoleFill(seriesId, r);
      if (r.ok) log.info('gap backfilled from REST', { ...fields, candles: candleCount(r.candles) });
      else log.warn('gap backfill from REST stopped short; subscribers get a gap', { ...fields, candles: candleCount(r.candles), error: r.error?.message });
      return r;
    });
    const fetched = await withinWait(fetch, this.waitMs, this.clock, () =>
      log.warn('gap backfill from REST is slow; going on with what the store has', { ...fields, timeoutMs: this.waitMs }),
    );
    // What was fetched is committed now (upsert, last write wins), so it replaces what was read.
    return fetched === null ? have : mergeAscending(have, fetched.candles);
  }

  /** Fetches closed candles `from`..`to` and commits them; one fetch per range at a time. Never rejects. */
  fetchRange(seriesId: string, from: number, to: number): Promise<Committed> {
    const key = `${seriesId}|${from}|${to}`;
    let pending = this.inFlight.get(key);
    if (pending) return pending;
    pending = this.fetchThenCommit(seriesId, (exchange) => exchange.fetchClosed(seriesId, from, to)).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, pending);
    return pending;
  }

  /**
   * Fetches the newest `count` closed candles after `after` (the stored head, or its read still
   * under way) and commits them page by page while the older pages are fetched (latest-pages.ts);
   * `onCommitting` sees each page's candles while the writer commits them (with their answer JSON,
   * written by the worker from the exchange's digits, when `json` asks for it). Never rejects.
   */
  async fetchLatest(
    seriesId: string,
    count: number,
    after: number | null | Promise<number | null>,
    onCommitting?: (candles: Float64Array, json?: Uint8Array) => void,
    json = false,
  ): Promise<CommittedLatest> {
    const exchange = this.exchangeKlines;
    if (exchange === null) return { ...NO_EXCHANGE, currentOpen: null };
    let series: ReturnType<typeof binanceSeriesOf>;
    try {
      series = binanceSeriesOf(seriesId);
    } catch (err) {
      return { candles: new Float64Array(0), ok: false, error: toWire(err), requests: 0, weight: 0, currentOpen: null };
    }
    const plan = {
      exchange,
      commit: (candles: Float64Array) => this.commit(seriesId, candles),
      pageRows: MARKET_LIMITS[series.market].klinesMaxLimit,
      tfSeconds: series.tfSeconds,
      onCommitting,
      json,
    };
    try {
      return await fetchLatestPages(plan, seriesId, count, after);
    } catch (err) {
      return { candles: new Float64Array(0), ok: false, error: toWire(err), requests: 0, weight: 0, currentOpen: null };
    }
  }

  private async fetchThenCommit(seriesId: string, fetch: (exchange: ExchangeKlines) => Promise<Committed>): Promise<Committed> {
    const exchange = this.exchangeKlines;
    if (exchange === null) return NO_EXCHANGE;
    let fetched: Committed;
    try {
      fetched = await fetch(exchange);
    } catch (err) {
      return { candles: new Float64Array(0), ok: false, error: toWire(err), requests: 0, weight: 0 };
    }
    if (candleCount(fetched.candles) === 0) return fetched;
    try {
      await this.commit(seriesId, fetched.candles);
      return fetched;
    } catch (err) {
      return { ...fetched, candles: new Float64Array(0), ok: false, error: toWire(err) };
    }
  }

  /** Commits fetched candles unpublished (history, not live); rejects when the store refuses them. */
  private async commit(seriesId: string, candles: Float64Array): Promise<void> {
    try {
      await this.opts.store.write([{ seriesId, data: candles.slice() }], { publish: false, refetchable: true });
    } catch (err) {
      // Not stored, so not handed out (invariant 1); the caller's next try fetches it again.
      log.warn('candles fetched from REST could not be committed', { seriesId, candles: candleCount(candles), error: err });
      throw err;
    }
  }
}

const NO_EXCHANGE: Committed = { candles: new Float64Array(0), ok: false, error: { code: 'unavailable', message: 'no live ingest' }, requests: 0, weight: 0 };
