/**
 * An ingest worker's contract with the main thread: its workerData, its low-rate API (comlink),
 * its stats, and the forming messages it posts. Both sides import this leaf; it imports only
 * types (and the candle unpacking helper) from elsewhere.
 */
import type { MessagePort } from 'node:worker_threads';
import { candleAt, type Candle } from '../domain/candle.js';
import type { LiveMarket } from '../domain/series-id.js';
import type { Config } from '../main/config/settings.js';
import type { CandlesJsonText } from '../protocol/candle-json-text.js';
import type { LogLevel } from '../shared/log.js';
import type { RestBlockBuffers } from '../exchange/binance/shared-rest-block.js';
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
  /** The process-wide Retry-After of each Binance REST host (shared memory: every thread honours one). */
  readonly restBlocks?: RestBlockBuffers;
  readonly maxHoldMs?: number;
  readonly logLevel?: LogLevel;
}

/**
 * Closed candles of one series fetched from Binance REST for the main thread's backfill service
 * (src/main/holes/), which commits them itself. `candles` is packed and its buffer transferred.
 */
export interface FetchedKlines {
  /** False when the fetch stopped early; `candles` then holds what arrived before. */
  readonly ok: boolean;
  readonly candles: Float64Array;
  /** Their answer JSON written from the exchange's digits, when asked for and they are one page (candle-json-text.ts). */
  readonly json?: CandlesJsonText;
  /** REST requests made (pages). */
  readonly requests: number;
  /** Request weight of those pages, on the worker's share of the budget. */
  readonly weight: number;
  /** Why it stopped: `unknown_symbol` (Binance -1121), `rate_limited`, `ip_banned`, `http`, `network`, ... */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Tail coverage's older pages fetched ahead by the worker (older-page-prefetch.ts): `id` names the
 * run (unique in the main thread), `missing` the bars wanted older than the newest page.
 */
export interface OlderPagesAhead {
  readonly id: number;
  readonly missing: number;
}

/** A run's stored head as the main thread read it; 'unknown' when the read failed. */
export type StoredHead = number | null | 'unknown';

/** The newest closed candles of a series (tail coverage), and where the exchange is now. */
export interface FetchedLatest extends FetchedKlines {
  /** Open time (seconds) of the bar still forming on the exchange; null when it has no bars. */
  readonly currentOpen: number | null;
}

export interface IngestWorkerStats extends IngestStats {
  index: number;
  link: WriterLinkStats;
  /**
   * The thread's event loop since it started (performance.eventLoopUtilization): ms busy and ms
   * idle. Busy ms per frame is the ingest path's CPU cost per frame (bench/ingest.ts prints it).
   */
  eventLoop: { activeMs: number; idleMs: number };
  /** CPU seconds the thread has run (shared/thread-cpu.ts; null off Linux): ELU without the waits for a core. */
  threadCpuSeconds: number | null;
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
  /**
   * Closed candles `from`..`to` (seconds, inclusive) of a series from REST, on this worker's share
   * of the weight budget; nothing is stored (the main thread's backfill service commits them).
   */
  fetchClosed(seriesId: string, from: number, to: number, json?: boolean, aheadId?: number): Promise<FetchedKlines>;
  /**
   * The newest `count` closed candles of a series, from the exchange's newest klines page: `count`
   * is at most a page less its forming row (999 spot, 1,499 futures; older pages: `fetchClosed`);
   * nothing is stored. The main thread drops those at or before its stored head, which it reads
   * meanwhile (latest-pages.ts). Teaches the worker's exchange clock that the exchange is at least
   * at that bar.
   */
  fetchLatest(seriesId: string, count: number, json?: boolean, ahead?: OlderPagesAhead): Promise<FetchedLatest>;
  /**
   * With `ahead`, the worker asks for the older pages itself as soon as the newest page is scanned
   * and this call has told it the stored head; `fetchClosed(..., aheadId)` then takes them.
   */
  tailStoredHead(seriesId: string, aheadId: number, head: StoredHead): void;
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
  /** Tail coverage's older pages fetched ahead (older-page-prefetch.ts): fetched, claimed, dropped unclaimed. */
  olderPagesAhead: { fetched: number; claimed: number; dropped: number };
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
