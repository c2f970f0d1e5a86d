import { CANDLE_STRIDE, candleCount, timeAt } from '../domain/candle.js';
import { describeError, GatewayError, toWire } from '../shared/errors.js';
import { monotonicMs } from '../shared/clock.js';
import { createLogger } from '../shared/log.js';
import type { BatchAckMessage, ClosedBatchMessage, CommitFailedMessage, CommittedMessage, CommittedSegment, ReadResult } from './contract.js';
import { planDrain, validateBatch } from './drain-plan.js';
import type { SqliteCandleStore } from './sqlite-candle-store.js';
import type { WriterStats } from './contract.js';
import { WriterCounters } from './writer-stats.js';
import { WriterQueue, type QueuedBatch } from './writer-queue.js';

const log = createLogger('writer');

/** The main thread's own producer (HTTP ingest); its acks ride on the committed message. */
export const MAIN_SOURCE = 'main';

/** Retry delays after a failed commit: the batches stay queued, nothing accepted is dropped. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Least interval between two "queue full" warnings. */
const FULL_WARN_INTERVAL_MS = 5_000;

export interface WriterCoreOptions {
  readonly maxPendingCandles: number;
  /** Receives committed/failed notices for the main thread, in commit order. */
  readonly toMain: (msg: CommittedMessage | CommitFailedMessage) => void;
  /** Names the cause of a failed commit (e.g. ENOSPC) where SQLite only says "disk I/O error". */
  readonly explain?: (err: unknown) => string;
  /** Receives acks for a producer (MAIN_SOURCE gets only refusals this way; see report()). */
  readonly toProducer: (source: string, ack: BatchAckMessage) => void;
}

/**
 * The writer's logic, independent of threads: accepts closed batches from any producer, and on
 * each drain writes everything pending (live first, bulk in bounded slices) in ONE transaction,
 * then reports what is durable. Reads run between drains, so they always see committed state.
 */
export class WriterCore {
  private readonly queue = new WriterQueue();
  private drainScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = RETRY_MIN_MS;
  private readonly heads = new Map<string, number | null>();
  private readonly flushWaiters: Array<{ waitingFor: Set<QueuedBatch>; resolve: () => void }> = [];
  private closing = false;
  private lastFullWarnAt = -Infinity;
  private readonly counters = new WriterCounters();

  constructor(
    private readonly store: SqliteCandleStore,
    private readonly options: WriterCoreOptions,
  ) {}

  /**
   * Queues a batch from `source`; the drain runs on the next turn of the event loop. The queue's
   * bound is this one count of pending candles (issue 15, defect 5): the main thread's batches
   * (HTTP writes, whose clients can retry) are refused with `overloaded` beyond it, including
   * while commits fail and refused HTTP writes are retried. Windowed producers (ingest, import)
   * are bounded by their windows; they are counted and, above the bound, reported.
   */
  accept(source: string, msg: ClosedBatchMessage): void {
    const problem = validateBatch(msg);
    if (problem) return this.refuse(source, msg.seq, new GatewayError('bad_request', problem));
    if (this.closing) return this.refuse(source, msg.seq, new GatewayError('shutting_down', 'writer is closing'));
    const full = this.queue.pendingCandles + msg.data.length / CANDLE_STRIDE > this.options.maxPendingCandles;
    if (full) this.reportFull(source === MAIN_SOURCE);
    if (full && source === MAIN_SOURCE) {
      return this.refuse(source, msg.seq, new GatewayError('overloaded', `writer queue full (${this.queue.pendingCandles} candles pending)`), 'debug');
    }
    this.queue.push(source, msg);
    this.scheduleDrain();
  }

  /** Resolves once everything accepted before this call is committed. */
  flush(): Promise<void> {
    const waitingFor = new Set(this.queue.all());
    if (waitingFor.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push({ waitingFor, resolve });
      this.scheduleDrain();
    });
  }

  /** Stops accepting, commits everything accepted, closes the database. */
  async close(): Promise<void> {
    this.closing = true;
    while (!this.queue.isEmpty) {
      if (!this.drain()) await new Promise((r) => setTimeout(r, this.retryDelayMs));
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.store.close();
  }

  tail(seriesId: string, limit: number): ReadResult {
    return this.read(seriesId, this.store.tail(seriesId, limit));
  }

  after(seriesId: string, since: number, limit: number): ReadResult {
    return this.read(seriesId, this.store.after(seriesId, since, limit));
  }

  before(seriesId: string, before: number, limit: number): ReadResult {
    return this.read(seriesId, this.store.before(seriesId, before, limit));
  }

  between(seriesId: string, from: number, to: number, limit: number): ReadResult {
    return this.read(seriesId, this.store.between(seriesId, from, to, limit));
  }

  head(seriesId: string): number | null {
    return this.headOf(seriesId);
  }

  count(seriesId?: string, atMost?: number): number {
    return this.store.count(seriesId, atMost);
  }

  getStats(): WriterStats {
    return this.counters.snapshot(this.queue.pendingCandles, this.queue.batches);
  }

  /**
   * One drain: takes every live batch plus a bounded slice of bulk ones, writes them in one
   * transaction, commits, reports. Returns false when the commit failed (batches re-queued).
   */
  drain(): boolean {
    this.drainScheduled = false;
    if (this.queue.isEmpty) return true;
    const taken = this.queue.take();
    const started = performance.now();
    const writes = planDrain(taken.map((p) => p.msg));
    let rows = 0;
    try {
      this.store.begin();
      for (const w of writes) {
        this.store.upsert(w.seriesId, w.all);
        rows += candleCount(w.all);
      }
      this.store.commit();
    } catch (err) {
      this.onCommitFailed(taken, err);
      return false;
    }
    this.retryDelayMs = RETRY_MIN_MS;
    const committedAtMs = monotonicMs();
    const drainMs = performance.now() - started;
    this.queue.committed(taken);
    this.report(taken, writes, rows, drainMs, committedAtMs);
    if (!this.queue.isEmpty) this.scheduleDrain();
    return true;
  }

  private report(taken: QueuedBatch[], writes: ReturnType<typeof planDrain>, rows: number, drainMs: number, committedAtMs: number): void {
    const segments: CommittedSegment[] = [];
    for (const w of writes) {
      const head = Math.max(this.headOf(w.seriesId) ?? -Infinity, timeAt(w.all, candleCount(w.all) - 1));
      this.heads.set(w.seriesId, head);
      if (w.silent.length > 0) segments.push({ seriesId: w.seriesId, data: w.silent, publish: false, head });
      if (w.published.length > 0) segments.push({ seriesId: w.seriesId, data: w.published, publish: true, head });
    }
    const committed: CommittedMessage = {
      t: 'committed',
      commitSeq: this.counters.committed(rows, drainMs),
      segments,
      mainAcks: taken.filter((p) => p.source === MAIN_SOURCE).map((p) => p.msg.seq),
      rows,
      drainMs,
      committedAtMs,
    };
    this.options.toMain(committed);
    for (const p of taken) {
      if (p.source !== MAIN_SOURCE) this.options.toProducer(p.source, { t: 'ack', seq: p.msg.seq, ok: true, committed: p.candles });
    }
    this.settleFlushWaiters(taken);
  }

  private onCommitFailed(taken: QueuedBatch[], err: unknown): void {
    this.store.rollback();
    this.counters.commitFailed();
    this.queue.putBack(taken);
    const failure = new GatewayError('store_failed', `commit failed: ${this.options.explain?.(err) ?? describeError(err)}`, { cause: err });
    const error = toWire(failure);
    log.error('commit failed; batches kept for retry', { error: failure, batches: taken.length, retry_in_ms: this.retryDelayMs });
    // Every producer hears about its batches (per-batch outcome); the main thread always hears,
    // as it reports "cannot commit" on /readyz until the next commit.
    for (const p of taken) {
      if (p.source !== MAIN_SOURCE) this.options.toProducer(p.source, { t: 'ack', seq: p.msg.seq, ok: false, committed: 0, error, retrying: true });
    }
    const mainSeqs = taken.filter((p) => p.source === MAIN_SOURCE).map((p) => p.msg.seq);
    this.options.toMain({ t: 'commit_failed', mainSeqs, error });
    if (!this.closing && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.drain();
      }, this.retryDelayMs);
    }
    this.retryDelayMs = Math.min(RETRY_MAX_MS, this.retryDelayMs * 2);
  }

  /** Counts every time the bound is hit; warns at most once per FULL_WARN_INTERVAL_MS (no log flood). */
  private reportFull(refusing: boolean): void {
    this.counters.queueFull();
    const now = performance.now();
    if (now - this.lastFullWarnAt < FULL_WARN_INTERVAL_MS) return;
    this.lastFullWarnAt = now;
    log.warn(refusing ? 'writer queue full; refusing HTTP writes with overloaded' : 'writer queue above its bound; producers should be holding back', {
      pending_candles: this.queue.pendingCandles,
      bound: this.options.maxPendingCandles,
    });
  }

  private refuse(source: string, seq: number, error: GatewayError, level: 'error' | 'debug' = 'error'): void {
    log[level]('batch refused', { source, seq, reason: error.message });
    this.options.toProducer(source, { t: 'ack', seq, ok: false, committed: 0, error: toWire(error) });
  }

  private settleFlushWaiters(taken: QueuedBatch[]): void {
    for (let i = this.flushWaiters.length - 1; i >= 0; i--) {
      const waiter = this.flushWaiters[i]!;
      for (const p of taken) waiter.waitingFor.delete(p);
      if (waiter.waitingFor.size === 0) {
        this.flushWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.retryTimer) return;
    this.drainScheduled = true;
    // setImmediate runs after the event loop has delivered every message already queued on the
    // ports, so one drain naturally takes all of them; at low load a lone candle waits ~µs.
    setImmediate(() => this.drain());
  }

  private headOf(seriesId: string): number | null {
    if (!this.heads.has(seriesId)) this.heads.set(seriesId, this.store.head(seriesId));
    return this.heads.get(seriesId) ?? null;
  }

  private read(seriesId: string, data: Float64Array): ReadResult {
    return { data, head: this.headOf(seriesId), commitSeq: this.counters.commitSeq };
  }
}
