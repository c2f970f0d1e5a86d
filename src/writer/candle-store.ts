import type { PgStoreStats, SeriesSummary } from './contract.js';
import type { SeriesWrite } from './drain-plan.js';

/** A value now (SQLite, synchronous) or later (PostgreSQL, a socket round trip). */
export type Awaitable<T> = T | Promise<T>;

export interface DrainOptions {
  /**
   * false: the drain holds only copies of the exchange's history (`refetchable` batches), so its
   * commit need not wait for the disk — SQLite commits it with synchronous=NORMAL (in WAL mode:
   * no fsync; the next durable commit or checkpoint syncs the log, which holds it), PostgreSQL with
   * synchronous_commit=off. It is committed and visible at once and survives a crash of the
   * gateway; only an OS crash or power cut before that next sync can lose it, and then only
   * together with every later relaxed drain (the log is sequential), and the next read fetches it
   * again. Default true.
   */
  readonly durable?: boolean;
}

/**
 * What the writer core drives: one candle store, SQLite (sqlite-candle-store.ts, synchronous) or
 * PostgreSQL (pg/pg-candle-store.ts, asynchronous). The core awaits every call, so a synchronous
 * store keeps its speed (an await of a plain value costs a microtask) and an asynchronous one
 * gets the same guarantees: one `writeDrain` at a time, one transaction per drain, and the
 * commit reported only after `writeDrain` resolved.
 *
 * Reads may run while a drain is in flight (PostgreSQL reads go to a pool): each must see only
 * committed rows, which both stores give (SQLite runs between drains, PostgreSQL reads committed).
 */
export interface CandleStore {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Writes one drain (per series: sorted, unique times, last write won) in ONE transaction.
   * Resolves once committed; on failure nothing is committed (or, when the connection died during
   * COMMIT, the outcome is unknown: the core's retry upserts the same rows again, harmlessly).
   */
  writeDrain(writes: readonly SeriesWrite[], options?: DrainOptions): Awaitable<void>;
  /** Latest `limit` candles, ascending. */
  tail(seriesId: string, limit: number): Awaitable<Float64Array>;
  /** Candles with time > since, ascending, at most `limit`. */
  after(seriesId: string, since: number, limit: number): Awaitable<Float64Array>;
  /** The latest `limit` candles with time < before, ascending (scroll-back). */
  before(seriesId: string, before: number, limit: number): Awaitable<Float64Array>;
  /** Candles with from <= time <= to, ascending, at most `limit`. */
  between(seriesId: string, from: number, to: number, limit: number): Awaitable<Float64Array>;
  /** Newest stored candle_time of each series (null: none), for series the core has not seen yet. */
  heads(seriesIds: readonly string[]): Awaitable<ReadonlyMap<string, number | null>>;
  /** Candles of a series (or all); with `atMost`, stops counting there. */
  count(seriesId?: string, atMost?: number): Awaitable<number>;
  /** Extent, size and holes of one series (debug series health): one scan of the series. */
  summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Awaitable<SeriesSummary>;
  /**
   * Housekeeping between drains, synchronous (nothing else runs on the connection meanwhile):
   * SQLite checkpoints its write-ahead log once it has grown, with a lower bound when nothing is
   * `queued`. Returns the log bytes folded in, or null when nothing was due. PostgreSQL has none.
   */
  maintain?(queued: boolean): number | null;
  /** The operator's words for a failure (an errno SQLite hides, PostgreSQL's SQLSTATE). */
  explain(err: unknown): string;
  /**
   * Reports whether the store can commit right now, without a drain having to fail first: a lost
   * PostgreSQL connection (a problem text), and its return (null). SQLite has no such state.
   */
  onStatus?(listener: (problem: string | null) => void): void;
  /** The store's own counters for /metrics (PostgreSQL). */
  stats?(): PgStoreStats;
  /** Closes the connection(s); never fails on a past error. */
  close(): Awaitable<void>;
}
