/**
 * An ingest worker's contract with the main thread: its workerData, its low-rate API (comlink),
 * its stats, and the forming messages it posts. Both sides import this leaf; it imports only
 * types (and the candle unpacking helper) from elsewhere.
 */
import type { MessagePort } from 'node:worker_threads';
import { candleAt, type Candle } from '../domain/candle.js';
import type { LiveMarket } from '../domain/series-id.js';
import type { Config } from '../main/config/settings.js';
import type { WireError } from '../shared/errors.js';
import type { LogLevel } from '../shared/log.js';
import type { BinanceRestClient } from '../exchange/binance/binance-rest.js';
import type { BinanceStreamOptions } from './binance/binance-stream-options.js';
import type { StreamManagerStats } from './binance/stream-manager.js';
import type { ClosedBatcherStats } from './closed-batcher.js';
import type { SeriesJobStats } from './jobs/series-job.js';
import type { ProducerStats } from '../writer/contract.js';

/** The parts of a worker's stats, as the main thread's report reads them. */
export type { ClosedBatcherStats, SeriesJobStats, StreamManagerStats };
export type { BackfillProgress } from './jobs/hold-progress.js';

/** The worker's producer toward the writer (its window, resends after a writer restart). */
export type WriterLinkStats = ProducerStats;

/** The settings an ingest worker runs with (a slice of the gateway's configuration). */
export type IngestSettings = Pick<
  Config,
  'binanceSpotWsUrl' | 'binanceFuturesWsUrl' | 'binanceSpotRestUrl' | 'binanceFuturesRestUrl' | 'binanceWsBatchMax' | 'binanceWsFlushS' | 'formingMinIntervalMs'
>;

/** Connection tunables from settings (tests shorten backoff, rotation, silence timeout). */
export type IngestStreamTunables = Partial<
  Pick<BinanceStreamOptions, 'backoff' | 'silenceTimeoutMs' | 'rotateAfterMs' | 'handoverGraceMs' | 'serverPingIntervalMs'>
>;

/** What the main thread passes to a new ingest worker (workerData; plain data only). */
export interface IngestWorkerData {
  readonly index: number;
  readonly settings: IngestSettings;
  /** Connection tunables from settings (silence timeout, rotation, backoff). */
  readonly stream?: IngestStreamTunables;
  /** Ingest workers in the process: each plans with that share of the REST weight budget. */
  readonly restBudgetWays: number;
  readonly maxHoldMs?: number;
  readonly logLevel?: LogLevel;
}

export interface BackfillResult {
  readonly ok: boolean;
  /** Candles fetched and committed. */
  readonly candles: number;
  readonly error?: WireError | { code: string; message: string };
}

export interface IngestWorkerStats extends IngestStats {
  index: number;
  link: WriterLinkStats;
}

/** The API the main thread calls (comlink in the worker, direct calls in-thread). */
export interface IngestWorkerApi {
  /** Starts a series (idempotent); `head` = its newest stored candle_time. */
  start(seriesId: string, head: number | null): void;
  stop(seriesId: string): void;
  /** A (new) port to the writer: at start-up and after the writer thread was replaced. */
  attachWriter(port: MessagePort): void;
  /** A running job fetches its bars `from`..`to` (null: up to its newest close) from REST. */
  fill(seriesId: string, from: number, to: number | null): void;
  /** Fetches from REST and commits (unpublished) the closed candles `from`..`to` of a series. */
  backfill(seriesId: string, from: number, to: number): Promise<BackfillResult>;
  stats(): IngestWorkerStats;
  /** Shutdown: stop every job, flush their batches and wait for the writer's acks. */
  close(): Promise<void>;
}

/** workerData of workers/ingest.ts: the data above plus the port its forming candles go out on. */
export type IngestWorkerInit = IngestWorkerData & { readonly formingPort: MessagePort };

export interface IngestStats {
  series: SeriesJobStats[];
  connections: StreamManagerStats[];
  batcher: ClosedBatcherStats;
  gapFillPending: number;
  rest: Record<LiveMarket, ReturnType<BinanceRestClient['stats']>>;
  /** Exchange minus local clock (ms), learned from event times; null before the first frame. */
  exchangeOffsetMs: number | null;
}

// Forming candles go straight to the hub, never through the writer (architecture.md invariant 2).

/**
 * Ingest worker → main thread: the throttled forming candles of one event-loop turn, coalesced
 * into one message. `data` is packed like closed batches (`[t,o,h,l,c,v] × n`, domain/candle.ts);
 * `series[i]` names candle i.
 */
export interface FormingBatchMessage {
  readonly t: 'forming';
  readonly series: readonly string[];
  readonly data: Float64Array;
}

/** Unpacks a forming message (main thread side). */
export function eachFormingCandle(msg: FormingBatchMessage, each: (seriesId: string, candle: Candle) => void): void {
  for (let i = 0; i < msg.series.length; i++) each(msg.series[i]!, candleAt(msg.data, i));
}
