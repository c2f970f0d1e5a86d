import type { KlineFrame } from '../domain/kline-frame.js';
import { binanceSeriesOf } from '../domain/binance-symbols.js';
import { CANDLE_STRIDE, candleCount, type Candle } from '../domain/candle.js';
import type { LiveMarket } from '../domain/series-id.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { WriterProducer } from '../writer/contract.js';
import type { IngestSettings, IngestStats, IngestStreamTunables, OlderPagesAhead, StoredHead } from './contract.js';
import { MARKET_LIMITS, restBaseUrl, wsBaseUrl } from '../exchange/binance/binance-endpoints.js';
import { BinanceRestClient, type GapFillResult } from '../exchange/binance/binance-rest.js';
import { fetchLatestClosed, type LatestKlines } from '../exchange/binance/latest-klines.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { ClosedBatcher } from './closed-batcher.js';
import { OlderPagePrefetch } from './older-page-prefetch.js';
import { ExchangeClock } from './jobs/exchange-clock.js';
import { HoleFetchQueue } from './jobs/hole-fetch-queue.js';
import { SeriesJob } from './jobs/series-job.js';
import { BinanceStreamManager } from './binance/stream-manager.js';
import { REST_BUDGET_SPLIT, WeightBudget } from '../exchange/binance/weight-budget.js';
import { SharedRestBlock, type RestBlockBuffers } from '../exchange/binance/shared-rest-block.js';
import { phaseTracer } from '../shared/phase-trace.js';

/** Benchmarks' per-phase stamps (off unless KLINE_GATEWAY_PHASE_TRACE=1). */
const trace = phaseTracer('ingest');

/**
 * Everything an ingest worker runs, minus the thread: series jobs, the Binance connections they
 * share (one manager per market), the batcher toward the writer and the queue of holes to fetch
 * from REST (HoleFetchQueue).
 * `IngestWorkerService` (ingest-worker-service.ts) gives it the worker's writer producer and wires
 * `onForming` to its forming port, and is exposed over comlink by `workers/ingest.ts`.
 */
export interface IngestEngineOptions {
  readonly settings: IngestSettings;
  /** The window toward the writer: closed batches go out through it (writer/producer.ts). */
  readonly writer: WriterProducer;
  /** Post a throttled forming candle toward the hub. */
  readonly onForming: (seriesId: string, candle: Candle) => void;
  readonly clock?: Clock;
  /**
   * Exchange time for "is this bar closed" in REST answers. Default: learned from the frames' event
   * times (ExchangeClock), which also follows the fake's virtual clock; tests may pass it directly.
   */
  readonly exchangeNow?: () => number;
  /** Connection tunables (tests shorten backoff, rotation, silence timeout). */
  readonly stream?: IngestStreamTunables;
  readonly gapFillConcurrency?: number;
  /**
   * Engines (ingest workers) sharing the ingest part of this process's REST weight budget
   * (REST_BUDGET_SPLIT.ingest): each plans with an equal share of it (default 1).
   */
  readonly restBudgetWays?: number;
  /** Retry-After shared with every other thread calling the same hosts (shared-rest-block.ts). */
  readonly restBlocks?: RestBlockBuffers;
  /** Bounds of the hold behind a hole (GapHold): live candles held, and the longest hold (ms). */
  readonly maxHeld?: number;
  readonly maxHoldMs?: number;
  readonly logger?: Logger;
}

const MARKETS: readonly LiveMarket[] = ['spot', 'futures'];

export class IngestEngine {
  private readonly jobs = new Map<string, SeriesJob>();
  /**
   * Per market: stream name → jobs reading it (BTC/USDT and BTC/USDT:USDT share one stream). An
   * array, not a Set: iterating a Set allocated an iterator per frame.
   */
  private readonly routes: Record<LiveMarket, Map<string, SeriesJob[]>> = { spot: new Map(), futures: new Map() };
  private readonly managers: Record<LiveMarket, BinanceStreamManager>;
  private readonly batcher: ClosedBatcher;
  private readonly holeFetches: HoleFetchQueue;
  private readonly rest: Record<LiveMarket, BinanceRestClient>;
  private readonly exchangeClock = new ExchangeClock();
  private readonly olderAhead = new OlderPagePrefetch((seriesId, from, to, json) => this.fetchRange(seriesId, from, to, json));
  private readonly clock: Clock;
  private readonly exchangeNow: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: IngestEngineOptions) {
    const s = opts.settings;
    this.clock = opts.clock ?? systemClock;
    this.exchangeNow = opts.exchangeNow ?? (() => this.exchangeClock.now());
    this.log = opts.logger ?? createLogger('ingest');
    this.batcher = new ClosedBatcher({
      maxBatch: s.binanceWsBatchMax,
      flushMs: s.binanceWsFlushS * 1000,
      producer: opts.writer,
      clock: this.clock,
      // A candle the writer could not take is fetched again from REST once it catches up.
      onOverflow: (seriesId, t) => {
        const job = this.jobs.get(seriesId);
        if (job) this.holeFetches.request(job.series, t, t);
      },
    });
    const ways = Math.max(1, opts.restBudgetWays ?? 1);
    const rest = (market: LiveMarket) =>
      new BinanceRestClient({
        market,
        baseUrl: restBaseUrl(market, s),
        clock: this.clock,
        exchangeNow: this.exchangeNow,
        logger: createLogger(`ingest.binance-rest.${market}`),
        budget: new WeightBudget({
          weightPerWindow: MARKET_LIMITS[market].weightPerMinute,
          share: REST_BUDGET_SPLIT.ingest / ways,
          ipShare: REST_BUDGET_SPLIT.ipShare,
          clock: this.clock,
          shared: opts.restBlocks ? new SharedRestBlock(opts.restBlocks[market]) : undefined,
        }),
      });
    this.rest = { spot: rest('spot'), futures: rest('futures') };
    this.holeFetches = new HoleFetchQueue({
      rest: this.rest,
      concurrency: opts.gapFillConcurrency,
      // A series stopped meanwhile has no job: its candles still go to the store.
      onCandles: (seriesId, packed) => {
        const job = this.jobs.get(seriesId);
        if (job) job.onGapFillCandles(packed);
        else this.batcher.addPacked(seriesId, packed);
      },
      onDone: (seriesId, result, settled) => this.jobs.get(seriesId)?.onGapFill(result, result.candles.length / CANDLE_STRIDE, settled),
    });
    const manager = (market: LiveMarket) =>
      new BinanceStreamManager({ ...opts.stream, market, baseUrl: wsBaseUrl(market, s), clock: this.clock, onKline: (frame) => this.route(market, frame) });
    this.managers = { spot: manager('spot'), futures: manager('futures') };
  }

  /**
   * Starts ingesting a series (idempotent). `head` is its newest stored candle_time, if any: the
   * first frames then show which bars after it are missing, and the job fills them from REST
   * before sending newer ones (series-job.ts). Throws bad_request for a series Binance cannot
   * stream (binanceSeriesOf).
   */
  start(seriesId: string, head?: number | null): void {
    if (this.jobs.has(seriesId)) return;
    const series = binanceSeriesOf(seriesId);
    const job = new SeriesJob(
      series,
      {
        closed: (id, packed) => this.batcher.addPacked(id, packed),
        forming: (id, c) => this.opts.onForming(id, c),
        gap: (sr, from, to) => this.holeFetches.request(sr, from, to),
      },
      {
        formingMinIntervalMs: this.opts.settings.formingMinIntervalMs,
        clock: this.clock,
        logger: this.log,
        head,
        maxHeld: this.opts.maxHeld,
        maxHoldMs: this.opts.maxHoldMs,
      },
    );
    this.jobs.set(seriesId, job);
    this.batcher.retain(seriesId);
    const route = this.routes[series.market];
    let readers = route.get(series.stream);
    if (readers === undefined) route.set(series.stream, (readers = []));
    readers.push(job);
    this.managers[series.market].add(series.stream);
    this.log.info('series started', { seriesId, stream: series.stream, market: series.market, head: head ?? null });
  }

  /** Stops a series; its candles already batched still go to the writer. */
  stop(seriesId: string): void {
    const job = this.jobs.get(seriesId);
    if (job === undefined) return;
    this.jobs.delete(seriesId);
    this.stopJob(job);
    this.batcher.release(seriesId);
    this.holeFetches.cancel(seriesId);
    const { market, stream } = job.series;
    const readers = this.routes[market].get(stream);
    if (readers?.includes(job)) readers.splice(readers.indexOf(job), 1);
    if (readers && readers.length === 0) {
      this.routes[market].delete(stream);
      this.managers[market].remove(stream);
    }
    this.log.info('series stopped', { seriesId });
  }

  has(seriesId: string): boolean {
    return this.jobs.has(seriesId);
  }

  /**
   * Asks REST for a running series' bars `from`..`to` (default: its newest closed bar), e.g. the
   * time between a history file imported behind the job and the job's first candle. They reach the
   * store through the job like any fill (older than what subscribers have: stored, not re-sent).
   */
  fill(seriesId: string, from: number, to?: number): void {
    const job = this.jobs.get(seriesId);
    const until = to ?? job?.lastClosedTime;
    if (job && until !== undefined && until >= from) this.holeFetches.request(job.series, from, until);
  }

  /**
   * Closed candles `from`..`to` (seconds, inclusive) of a series from REST, on this engine's share
   * of the weight budget (the main thread's backfill service stores them). Never throws.
   */
  fetchRange(seriesId: string, from: number, to: number, json = false, aheadId?: number): Promise<GapFillResult> {
    const ahead = aheadId === undefined ? undefined : this.olderAhead.claim(aheadId, from, to);
    if (ahead) return ahead;
    const series = binanceSeriesOf(seriesId);
    const range = { symbol: series.symbol, interval: series.interval, tfSeconds: series.tfSeconds, fromTime: from, toTime: to };
    return this.rest[series.market].fetchClosed(range, undefined, undefined, json);
  }

  /**
   * The newest `count` closed candles of a series (at most a page; the caller drops what it has), from REST on
   * this engine's budget (tail coverage: the caller stores them). The answer's forming bar is a lower bound of
   * exchange time, so later range fills know every bar before it is closed. Never throws.
   */
  async fetchLatest(seriesId: string, count: number, json = false, ahead?: OlderPagesAhead): Promise<LatestKlines> {
    const series = binanceSeriesOf(seriesId);
    const { symbol, interval, tfSeconds } = series;
    let scanned = false;
    const onNewestScanned =
      ahead &&
      ((candles: Float64Array) => {
        scanned = true;
        const pageRows = MARKET_LIMITS[series.market].klinesMaxLimit;
        const rows = candleCount(candles);
        this.olderAhead.newestScanned(ahead.id, {
          seriesId,
          tfSeconds,
          pageRows,
          asked: count,
          missing: ahead.missing,
          json,
          rows,
          oldest: rows > 0 ? candles[0]! : null,
        });
      });
    const result = await fetchLatestClosed(this.rest[series.market], series.market, { symbol, interval, tfSeconds, count, after: null, json, onNewestScanned });
    if (ahead && !scanned) this.olderAhead.newestScanned(ahead.id, null);
    if (result.currentOpen !== null) this.exchangeClock.observe(result.currentOpen * 1000);
    return result;
  }

  /** Run `aheadId`'s stored head, from the main thread: its older pages can be asked for (older-page-prefetch.ts). */
  tailStoredHead(aheadId: number, head: StoredHead): void {
    this.olderAhead.storedHead(aheadId, head);
  }

  stats(): IngestStats {
    return {
      series: [...this.jobs.values()].map((j) => j.stats(this.managers[j.series.market].statsOf(j.series.stream))),
      connections: MARKETS.map((m) => this.managers[m].stats()),
      batcher: this.batcher.stats(),
      gapFillPending: this.holeFetches.pending,
      rest: { spot: this.rest.spot.stats(), futures: this.rest.futures.stats() },
      olderPagesAhead: this.olderAhead.stats(),
      exchangeOffsetMs: this.exchangeClock.offset,
    };
  }

  /** Shutdown: close connections and gap fills, then flush and wait for the writer's acks. */
  async close(): Promise<void> {
    for (const m of MARKETS) this.managers[m].close();
    this.holeFetches.close();
    for (const job of this.jobs.values()) this.stopJob(job);
    this.jobs.clear();
    await this.batcher.drain();
  }

  private stopJob(job: SeriesJob): void {
    const dropped = job.stop();
    if (dropped > 0) {
      this.log.warn('series stopped while holding candles behind a hole; the next start fills them from the store head', {
        seriesId: job.series.seriesId,
        dropped,
      });
    }
  }

  private route(market: LiveMarket, frame: KlineFrame): void {
    this.exchangeClock.observe(frame.eventTimeMs);
    trace?.mark('ingest.parsed', frame.volume);
    const readers = this.routes[market].get(frame.stream!);
    if (readers === undefined) return;
    for (let i = 0; i < readers.length; i++) readers[i]!.onKline(frame);
  }
}
