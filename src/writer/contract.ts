/**
 * The writer thread's contract: everything the main thread, the ingest workers and the decode
 * threads need to talk to it — its settings (workerData), its low-rate API (comlink), and the
 * messages on its data ports. A leaf: both sides import it, it imports no implementation.
 *
 * Candles always travel as packed Float64Arrays (`[t,o,h,l,c,v] × n`, see domain/candle.ts).
 * Every producer sends them with `WriterProducer` (producer.ts, re-exported here): window, acks,
 * transfer or copy, resend after a writer restart.
 */
import type { MessagePort } from 'node:worker_threads';
import type { WireError } from '../shared/errors.js';
import type { LogLevel } from '../shared/log.js';

export { WriterProducer, type OutgoingBatch, type ProducerOptions, type ProducerStats, type WriterPort } from './producer.js';

/** SQLite `PRAGMA synchronous`: FULL (default) survives power loss, NORMAL only a process crash. */
export type SynchronousMode = 'FULL' | 'NORMAL' | 'OFF';

/** Where candles are stored: the embedded SQLite file (default) or a PostgreSQL database. */
export type StoreKind = 'sqlite' | 'postgres';

/** The PostgreSQL store's settings (TRADE_CANVAS_PG_*). */
export interface PgSettings {
  /** `postgres://user[:password]@host:port/db` (libpq's PG* variables fill what it leaves out). */
  readonly url: string;
  /** Connections of the read pool (the writer has one more of its own). */
  readonly poolSize: number;
  /** Server-side limit per statement, ms (0 = none); a statement over it fails and is retried. */
  readonly statementTimeoutMs: number;
  /** How long start-up waits for PostgreSQL to accept connections, ms (0 = fail at once). */
  readonly connectWaitMs: number;
}

/** What the writer needs to know; passed to the worker as workerData. */
export interface WriterSettings {
  /** Default 'sqlite'. */
  readonly store?: StoreKind;
  /** Required when `store` is 'postgres'. */
  readonly pg?: PgSettings;
  /** The SQLite file (unused by the PostgreSQL store). */
  readonly dbPath: string;
  readonly synchronous: SynchronousMode;
  readonly rowsPerStatement: number;
  /**
   * Bound of the writer queue, in candles, over every producer: the one count (issue 15, defect 5).
   * The main thread's batches (HTTP writes) that would pass it are refused with `overloaded`;
   * windowed producers (ingest, import) are bounded by their windows and only counted.
   */
  readonly maxPendingCandles: number;
  /**
   * Other gateways write the same database (a cluster, TRADE_CANVAS_BUS=nats): the heads this
   * writer remembers may be behind, so `head()` and reads ask the store each time.
   */
  readonly sharedStore?: boolean;
}

/** workerData of workers/writer.ts. */
export interface WriterWorkerData {
  readonly settings: WriterSettings;
  /** The main thread's own data port (its closed batches in, committed notices out). */
  readonly mainPort: MessagePort;
  readonly logLevel?: LogLevel;
}

/** The writer's low-rate API (comlink in the worker; direct calls in-thread). */
export interface WriterApi {
  attachProducer(name: string, port: MessagePort): void;
  detachProducer(name: string): void;
  tail(seriesId: string, limit: number): Promise<ReadResult>;
  after(seriesId: string, since: number, limit: number): Promise<ReadResult>;
  /** The latest `limit` candles with time < before, ascending (scroll-back). */
  before(seriesId: string, before: number, limit: number): Promise<ReadResult>;
  between(seriesId: string, from: number, to: number, limit: number): Promise<ReadResult>;
  head(seriesId: string): Promise<number | null>;
  count(seriesId?: string, atMost?: number): Promise<number>;
  /** Counts and holes of one series (the debug series-health route); scans the series once. */
  summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Promise<SeriesSummary>;
  stats(): WriterStats;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The writer's counters, as `/metrics` and the debug endpoints show them. */
export interface WriterStats {
  pendingCandles: number;
  pendingBatches: number;
  commits: number;
  committedRows: number;
  commitFailures: number;
  queueFullEvents: number;
  lastDrainMs: number;
  maxDrainMs: number;
  lastDrainRows: number;
  commitSeq: number;
  /** SQLite write-ahead log checkpoints run between drains, their time, and the ones that failed. */
  checkpoints: number;
  checkpointMs: number;
  checkpointFailures: number;
  /** Histogram of rows per drain, bucket upper bounds → count (Prometheus style, cumulative later). */
  drainRowsBuckets: Record<string, number>;
  /** CPU seconds the writer thread has run (shared/thread-cpu.ts; null off Linux, absent from a remote store). */
  threadCpuSeconds?: number | null;
  /** The PostgreSQL store's own counters (absent with SQLite). */
  pg?: PgStoreStats;
}

/** How the PostgreSQL store wrote its drains, and how often it lost its connection. */
export interface PgStoreStats {
  /** Rows written with COPY straight into candles (outside the series' stored range). */
  appendedRows: number;
  /** Rows written through the stage and INSERT … ON CONFLICT (inside the range: may replace). */
  upsertedRows: number;
  /** Drains redone through the upsert path because a cached range was stale (23505). */
  staleRangeRetries: number;
  /** Times the write connection was lost while running. */
  connectionLosses: number;
}

// Messages on the writer's data ports (architecture.md "data plane").

/** Producer → writer: closed candles to store. One message may carry several series. */
export interface ClosedBatchMessage {
  readonly t: 'closed';
  /** Producer-local sequence number, echoed in the ack. */
  readonly seq: number;
  /** Series of each segment, in order. */
  readonly series: readonly string[];
  /** Candles in each segment; segments are laid out back to back in `data`. */
  readonly counts: readonly number[];
  readonly data: Float64Array;
  /** Publish the committed candles to WebSocket subscribers (false: dev batch `publish_ws:false`). */
  readonly publish: boolean;
  /**
   * Bulk history (import/bootstrap): written in bounded slices between live drains so an import
   * never stalls live ingest (issue 4).
   */
  readonly bulk?: boolean;
  /**
   * Candles copied from the exchange's REST history (tail coverage, scroll-back, hole fills): the
   * exchange still has them. A drain made only of such batches commits without waiting for the
   * disk (see CandleStore.writeDrain); nothing a producer or subscriber was promised rides on it.
   */
  readonly refetchable?: boolean;
}

/**
 * Writer → producer: the batch is committed (`ok`), refused (not queued: malformed, overloaded,
 * writer closing), or its commit failed (`retrying`: still queued, the writer tries again and
 * acks it once committed). The main thread gets refusals as this message too; its commits and
 * failed commits ride on `committed` / `commit_failed`.
 */
export interface BatchAckMessage {
  readonly t: 'ack';
  readonly seq: number;
  readonly ok: boolean;
  /** Candles of this batch now durable (0 when !ok). */
  readonly committed: number;
  readonly error?: WireError;
  /** Set when the commit failed and the batch stays queued for the writer's retry. */
  readonly retrying?: boolean;
}

export type ProducerInbound = BatchAckMessage;
export type WriterInbound = ClosedBatchMessage;

/** Candles of one series committed in one transaction. */
export interface CommittedSegment {
  readonly seriesId: string;
  /** Sorted by time, unique times, exactly the values now stored. */
  readonly data: Float64Array;
  readonly publish: boolean;
  /** Newest stored candle_time of the series after this commit. */
  readonly head: number;
}

/** Writer → main thread after every commit: what is now durable and may be published. */
export interface CommittedMessage {
  readonly t: 'committed';
  /** Increases by one per commit; reads carry the sequence they saw (tail cache coherence). */
  readonly commitSeq: number;
  readonly segments: readonly CommittedSegment[];
  /** `seq`s of batches from the main thread's own port covered by this commit. */
  readonly mainAcks: readonly number[];
  readonly rows: number;
  readonly drainMs: number;
  /** When the transaction committed, on shared/clock.ts monotonicMs (commit → publish latency). */
  readonly committedAtMs: number;
}

/**
 * Writer → main thread after every failed commit (even one without main-thread batches: the main
 * thread reports "cannot commit" on /readyz until the next `committed`). The batches stay queued
 * and are retried.
 */
export interface CommitFailedMessage {
  readonly t: 'commit_failed';
  /** The main thread's batches in the failed transaction. */
  readonly mainSeqs: readonly number[];
  readonly error: WireError;
}

/**
 * Writer → main thread when the store's ability to commit changes without a commit having failed:
 * a lost PostgreSQL connection (`problem`), and its return (null). /readyz says 503 meanwhile.
 */
export interface StoreStatusMessage {
  readonly t: 'store_status';
  readonly problem: string | null;
}

export type MainInbound = CommittedMessage | CommitFailedMessage | StoreStatusMessage | BatchAckMessage;

/** One series at a glance: its extent, size and holes (steps between stored candles longer than the timeframe). */
export interface SeriesSummary {
  readonly first: number | null;
  readonly head: number | null;
  readonly count: number;
  readonly gapCount: number;
  readonly maxGapSeconds: number | null;
  /** The newest holes, newest first: the candle before and the candle after each. */
  readonly recentGaps: ReadonlyArray<{ readonly prev: number; readonly next: number }>;
}

/** Result of a read served by the writer between transactions. */
export interface ReadResult {
  readonly data: Float64Array;
  /** Newest stored candle_time of the series, or null when it has none. */
  readonly head: number | null;
  /** Commit sequence the read observed. */
  readonly commitSeq: number;
}
