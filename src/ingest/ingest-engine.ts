import type { Config } from '../config/settings.js';
import type { KlineEvent } from '../domain/binance-kline.js';
import { binanceSeriesOf } from '../domain/binance-symbols.js';
import { CANDLE_STRIDE, type Candle } from '../domain/candle.js';
import type { LiveMarket } from '../domain/series-id.js';
import { createLogger, type Logger } from '../log.js';
import type { BatchAckMessage, ClosedBatchMessage } from '../protocol/writer-messages.js';
import { MARKET_LIMITS, restBaseUrl, wsBaseUrl } from './binance-endpoints.js';
import { BinanceRestClient } from './binance-rest.js';
import type { BinanceStreamOptions } from './binance-stream-options.js';
import { systemClock, type Clock } from './clock.js';
import { ClosedBatcher, type ClosedBatcherStats } from './closed-batcher.js';
import { GapFiller } from './gap-filler.js';
import { SeriesJob, type SeriesJobStats } from './series-job.js';
import { BinanceStreamManager, type StreamManagerStats } from './stream-manager.js';
import { WeightBudget } from './weight-budget.js';

/**
 * Everything an ingest worker runs, minus the thread: series jobs, the Binance connections they
 * share (one manager per market), the batcher toward the writer and the REST gap filler. A thin
 * `workers/ingest.ts` builds one from its workerData, wires `sendClosed` / `onForming` to its
 * MessagePorts, forwards writer acks to `ack`, and exposes start/stop/stats over comlink.
 */
export type IngestSettings = Pick<
  Config,
  | 'binanceSpotWsUrl'
  | 'binanceFuturesWsUrl'
  | 'binanceSpotRestUrl'
  | 'binanceFuturesRestUrl'
  | 'binanceWsBatchMax'
  | 'binanceWsFlushS'
  | 'formingMinIntervalMs'
>;

export interface IngestEngineOptions {
  readonly settings: IngestSettings;
  /** Post to the writer port, transferring `transfer`. */
  readonly sendClosed: (msg: ClosedBatchMessage, transfer: ArrayBuffer[]) => void;
  /** Post a throttled forming candle toward the hub. */
  readonly onForming: (seriesId: string, candle: Candle) => void;
  readonly clock?: Clock;
  /** Exchange time for "is this bar closed" (default clock.now; tests pass the fake's virtual clock). */
  readonly exchangeNow?: () => number;
  /** Connection tunables (tests shorten backoff, rotation, silence timeout). */
  readonly stream?: Partial<Pick<BinanceStreamOptions, 'backoff' | 'silenceTimeoutMs' | 'rotateAfterMs' | 'handoverGraceMs' | 'serverPingIntervalMs'>>;
  /** Unacked writer batches allowed (ClosedBatcher maxInFlight). */
  readonly maxInFlightBatches?: number;
  readonly gapFillConcurrency?: number;
  readonly logger?: Logger;
}

export interface IngestStats {
  series: SeriesJobStats[];
  connections: StreamManagerStats[];
  batcher: ClosedBatcherStats;
  gapFillPending: number;
}

const MARKETS: readonly LiveMarket[] = ['spot', 'futures'];

export class IngestEngine {
  private readonly jobs = new Map<string, SeriesJob>();
  /** Per market: stream name → jobs reading it (BTC/USDT and BTC/USDT:USDT share one stream). */
  private readonly routes: Record<LiveMarket, Map<string, Set<SeriesJob>>> = { spot: new Map(), futures: new Map() };
  private readonly managers: Record<LiveMarket, BinanceStreamManager>;
  private readonly batcher: ClosedBatcher;
  private readonly gapFiller: GapFiller;
  private readonly clock: Clock;
  private readonly exchangeNow: () => number;
  private readonly log: Logger;

  constructor(private readonly opts: IngestEngineOptions) {
    const s = opts.settings;
    this.clock = opts.clock ?? systemClock;
    this.exchangeNow = opts.exchangeNow ?? (() => this.clock.now());
    this.log = opts.logger ?? createLogger('ingest');
    this.batcher = new ClosedBatcher({
      maxBatch: s.binanceWsBatchMax,
      flushMs: s.binanceWsFlushS * 1000,
      maxInFlight: opts.maxInFlightBatches,
      send: opts.sendClosed,
      clock: this.clock,
      // A candle the writer could not take is fetched again from REST once it catches up.
      onOverflow: (seriesId, t) => {
        const job = this.jobs.get(seriesId);
        if (job) this.gapFiller.request(job.series, t, t);
      },
    });
    const rest = (market: LiveMarket) =>
      new BinanceRestClient({
        market,
        baseUrl: restBaseUrl(market, s),
        clock: this.clock,
        exchangeNow: this.exchangeNow,
        budget: new WeightBudget({ weightPerWindow: MARKET_LIMITS[market].weightPerMinute, clock: this.clock }),
      });
    this.gapFiller = new GapFiller({
      rest: { spot: rest('spot'), futures: rest('futures') },
      concurrency: opts.gapFillConcurrency,
      onCandles: (seriesId, packed) => this.batcher.addPacked(seriesId, packed),
      onDone: (seriesId, result) => this.jobs.get(seriesId)?.onGapFill(result, result.candles.length / CANDLE_STRIDE),
    });
    const manager = (market: LiveMarket) =>
      new BinanceStreamManager({ ...opts.stream, market, baseUrl: wsBaseUrl(market, s), clock: this.clock, onKline: (ev) => this.route(market, ev) });
    this.managers = { spot: manager('spot'), futures: manager('futures') };
  }

  /**
   * Starts ingesting a series (idempotent). `head` is its newest stored candle_time, if any: the
   * bars between it and the last closed bar are filled from REST right away. Throws bad_request
   * for a series Binance cannot stream (binanceSeriesOf).
   */
  start(seriesId: string, head?: number | null): void {
    if (this.jobs.has(seriesId)) return;
    const series = binanceSeriesOf(seriesId);
    const job = new SeriesJob(
      series,
      {
        closed: (id, c) => this.batcher.add(id, c),
        forming: (id, c) => this.opts.onForming(id, c),
        gap: (sr, from, to) => this.gapFiller.request(sr, from, to),
      },
      this.opts.settings.formingMinIntervalMs,
      this.clock,
      head,
    );
    this.jobs.set(seriesId, job);
    const route = this.routes[series.market];
    let readers = route.get(series.stream);
    if (readers === undefined) route.set(series.stream, (readers = new Set()));
    readers.add(job);
    this.managers[series.market].add(series.stream);
    if (head !== undefined && head !== null) {
      const tf = series.tfSeconds;
      const lastClosed = Math.floor(this.exchangeNow() / 1000 / tf) * tf - tf;
      this.gapFiller.request(series, head + tf, lastClosed);
    }
    this.log.info('series started', { seriesId, stream: series.stream, market: series.market, head: head ?? null });
  }

  /** Stops a series; its candles already batched still go to the writer. */
  stop(seriesId: string): void {
    const job = this.jobs.get(seriesId);
    if (job === undefined) return;
    this.jobs.delete(seriesId);
    job.stop();
    this.gapFiller.cancel(seriesId);
    const { market, stream } = job.series;
    const readers = this.routes[market].get(stream);
    readers?.delete(job);
    if (readers && readers.size === 0) {
      this.routes[market].delete(stream);
      this.managers[market].remove(stream);
    }
    this.log.info('series stopped', { seriesId });
  }

  has(seriesId: string): boolean {
    return this.jobs.has(seriesId);
  }

  /** The store head of a series became known after start. */
  seedHead(seriesId: string, head: number): void {
    this.jobs.get(seriesId)?.seedHead(head);
  }

  /** A writer ack for one of our batches. */
  ack(msg: BatchAckMessage): void {
    this.batcher.ack(msg);
  }

  stats(): IngestStats {
    return {
      series: [...this.jobs.values()].map((j) => j.stats(this.managers[j.series.market].statsOf(j.series.stream))),
      connections: MARKETS.map((m) => this.managers[m].stats()),
      batcher: this.batcher.stats(),
      gapFillPending: this.gapFiller.pending,
    };
  }

  /** Shutdown: close connections and gap fills, then flush and wait for the writer's acks. */
  async close(): Promise<void> {
    for (const m of MARKETS) this.managers[m].close();
    this.gapFiller.close();
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
    await this.batcher.drain();
  }

  private route(market: LiveMarket, ev: KlineEvent): void {
    const readers = this.routes[market].get(ev.stream);
    if (readers === undefined) return;
    for (const job of readers) job.onKline(ev);
  }
}
