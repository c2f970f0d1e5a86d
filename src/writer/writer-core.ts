import { CANDLE_STRIDE, candleCount, timeAt } from '../domain/candle.js';
import { GatewayError, toWire } from '../shared/errors.js';
import { monotonicMs } from '../shared/clock.js';
import { createLogger } from '../shared/log.js';
import type { CandleStore } from './candle-store.js';
import type { BatchAckMessage, ClosedBatchMessage, CommittedSegment, MainInbound, ReadResult } from './contract.js';
import { StoreMaintenance } from './store-maintenance.js';
import { planDrain, validateBatch, type SeriesWrite } from './drain-plan.js';
import type { WriterStats } from './contract.js';
import { FlushWaiters } from './flush-waiters.js';
import { SeriesHeads } from './series-heads.js';
import { WriterCounters } from './writer-stats.js';
import { WriterQueue, type QueuedBatch } from './writer-queue.js';
import { phaseTracer } from '../shared/phase-trace.js';

/** DrainOptions of a drain made only of copies of the exchange's history (`refetchable` batches). */
const RELAXED = { durable: false } as const;

const log = createLogger('writer');
/** Benchmarks' per-phase stamps (off unless KLINE_GATEWAY_PHASE_TRACE=1). */
const trace = phaseTracer('writer');

/** The main thread's own producer (HTTP ingest); its acks ride on the committed message. */
export const MAIN_SOURCE = 'main';

/** Retry delays after a failed commit: the batches stay queued, nothing accepted is dropped. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Least interval between two "queue full" warnings. */
const FULL_WARN_INTERVAL_MS = 5_000;

export interface WriterCoreOptions {
  readonly maxPendingCandles: number;
  /** Other writers commit to the same store (WriterSettings.sharedStore): heads are re-read for head() and reads. */
  readonly sharedStore?: boolean;
  /** Receives committed/failed notices (and the store's status) for the main thread, in commit order. */
  readonly toMain: (msg: Exclude<MainInbound, BatchAckMessage>) => void;
  /** Receives acks for a producer (MAIN_SOURCE gets only refusals this way; see report()). */
  readonly toProducer: (source: string, ack: BatchAckMessage) => void;
  /** How long the writer idles before the store's idle housekeeping (store-maintenance.ts); tests shorten it. */
  readonly idleMaintenanceDelayMs?: number;
}

/**
 * The writer's logic, independent of threads and of the store: accepts closed batches from any
 * producer, and on each drain writes everything pending (live first, bulk in bounded slices) in
 * ONE transaction, then reports what is durable. The store may be synchronous (SQLite) or not
 * (PostgreSQL): a drain in flight holds the next one, and batches arriving meanwhile go into it.
 */
export class WriterCore {
  private readonly queue = new WriterQueue();
  private drainScheduled = false;
  /** The drain in flight, if any: the next one starts only after it settled. */
  private running: Promise<boolean> | null = null;
  /** The batches of the drain in flight (flush waits for them too). */
  private inFlight: readonly QueuedBatch[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = RETRY_MIN_MS;
  private readonly heads: SeriesHeads;
  private readonly flushWaiters = new FlushWaiters();
  private closing = false;
  private lastFullWarnAt = -Infinity;
  private readonly counters = new WriterCounters();
  private readonly maintenance: StoreMaintenance;

  constructor(
    private readonly store: CandleStore,
    private readonly options: WriterCoreOptions,
  ) {
    this.heads = new SeriesHeads(store, options.sharedStore ?? false);
    const idle = () => !this.running && !this.closing && this.queue.isEmpty;
    this.maintenance = new StoreMaintenance(store, this.counters, idle, options.idleMaintenanceDelayMs);
    // A lost PostgreSQL connection is reported at once (readiness), not only at the next failed commit.
    store.onStatus?.((problem) => options.toMain({ t: 'store_status', problem }));
  }

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
    trace?.markPacked('writer.accepted', msg.data);
    this.scheduleDrain();
  }

  /** Resolves once everything accepted before this call is committed (the drain in flight included). */
  flush(): Promise<void> {
    const waiting = this.flushWaiters.wait([...this.inFlight, ...this.queue.all()]);
    if (!this.queue.isEmpty) this.scheduleDrain();
    return waiting;
  }

  /** Stops accepting, commits everything accepted, closes the database. */
  async close(): Promise<void> {
    this.closing = true;
    for (;;) {
      const ok = await this.drain();
      if (this.queue.isEmpty) break;
      if (!ok) await new Promise((r) => setTimeout(r, this.retryDelayMs));
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.maintenance.stop();
    await this.store.close();
  }

  // Reads take the commit sequence before they start: a PostgreSQL read runs beside a commit, and
  // a commit it may already contain is applied again by the tail cache (an idempotent merge),
  // while one it misses is never skipped.
  async tail(seriesId: string, limit: number): Promise<ReadResult> {
    const seq = this.counters.commitSeq;
    return this.read(seriesId, await this.store.tail(seriesId, limit), seq);
  }

  async after(seriesId: string, since: number, limit: number): Promise<ReadResult> {
    const seq = this.counters.commitSeq;
    return this.read(seriesId, await this.store.after(seriesId, since, limit), seq);
  }

  async before(seriesId: string, before: number, limit: number): Promise<ReadResult> {
    const seq = this.counters.commitSeq;
    return this.read(seriesId, await this.store.before(seriesId, before, limit), seq);
  }

  async between(seriesId: string, from: number, to: number, limit: number): Promise<ReadResult> {
    const seq = this.counters.commitSeq;
    return this.read(seriesId, await this.store.between(seriesId, from, to, limit), seq);
  }

  async head(seriesId: string): Promise<number | null> {
    await this.heads.current([seriesId]);
    return this.heads.get(seriesId);
  }

  count(seriesId?: string, atMost?: number): Promise<number> | number {
    return this.store.count(seriesId, atMost);
  }

  getStats(): WriterStats {
    const stats = this.counters.snapshot(this.queue.pendingCandles, this.queue.batches);
    const pg = this.store.stats?.();
    return pg ? { ...stats, pg } : stats;
  }

  /**
   * One drain: takes every live batch plus a bounded slice of bulk ones, writes them in one
   * transaction, commits, reports. Resolves false when the commit failed (batches re-queued). A
   * drain asked for while one runs starts after it.
   */
  drain(): Promise<boolean> {
    this.drainScheduled = false;
    if (this.running) return this.running.then(() => this.drain());
    this.running = this.drainOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async drainOnce(): Promise<boolean> {
    if (this.queue.isEmpty) return true;
    const taken = this.queue.take();
    this.inFlight = taken;
    if (trace) for (const p of taken) trace.markPacked('writer.drainStarted', p.msg.data);
    const started = performance.now();
    const writes = planDrain(taken.map((p) => p.msg));
    let rows = 0;
    for (const w of writes) rows += candleCount(w.all);
    try {
      // Heads first (a PostgreSQL round trip for series not seen yet): the report needs them.
      await this.heads.load(writes.map((w) => w.seriesId));
      // Copies of the exchange's history alone need not wait for the disk (candle-store.ts).
      const durable = !taken.every((p) => p.msg.refetchable === true);
      await this.store.writeDrain(writes, durable ? undefined : RELAXED);
    } catch (err) {
      this.inFlight = [];
      this.onCommitFailed(taken, err);
      return false;
    }
    this.inFlight = [];
    this.retryDelayMs = RETRY_MIN_MS;
    const committedAtMs = monotonicMs();
    if (trace) for (const p of taken) trace.markPacked('writer.committed', p.msg.data);
    const drainMs = performance.now() - started;
    this.queue.committed(taken);
    this.report(taken, writes, rows, drainMs, committedAtMs);
    if (trace) for (const p of taken) trace.markPacked('writer.reported', p.msg.data);
    this.maintenance.afterDrain(!this.queue.isEmpty);
    if (!this.queue.isEmpty) this.scheduleDrain();
    return true;
  }

  private report(taken: QueuedBatch[], writes: readonly SeriesWrite[], rows: number, drainMs: number, committedAtMs: number): void {
    const segments: CommittedSegment[] = [];
    for (const w of writes) {
      const head = this.heads.advance(w.seriesId, timeAt(w.all, candleCount(w.all) - 1));
      if (w.silent.length > 0) segments.push({ seriesId: w.seriesId, data: w.silent, publish: false, head });
      if (w.published.length > 0) segments.push({ seriesId: w.seriesId, data: w.published, publish: true, head });
    }
    this.options.toMain({
      t: 'committed',
      commitSeq: this.counters.committed(rows, drainMs),
      segments,
      mainAcks: taken.filter((p) => p.source === MAIN_SOURCE).map((p) => p.msg.seq),
      rows,
      drainMs,
      committedAtMs,
    });
    for (const p of taken) {
      if (p.source !== MAIN_SOURCE) this.options.toProducer(p.source, { t: 'ack', seq: p.msg.seq, ok: true, committed: p.candles });
    }
    this.flushWaiters.settle(taken);
  }

  private onCommitFailed(taken: QueuedBatch[], err: unknown): void {
    this.counters.commitFailed();
    this.queue.putBack(taken);
    const failure = new GatewayError('store_failed', `commit failed: ${this.store.explain(err)}`, { cause: err });
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
        void this.drain();
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

  private scheduleDrain(): void {
    if (this.drainScheduled || this.retryTimer) return;
    this.drainScheduled = true;
    // setImmediate runs after the event loop has delivered every message already queued on the
    // ports, so one drain naturally takes all of them; at low load a lone candle waits ~µs.
    setImmediate(() => void this.drain());
  }

  private async read(seriesId: string, data: Float64Array, commitSeq: number): Promise<ReadResult> {
    await this.heads.current([seriesId]);
    return { data, head: this.heads.get(seriesId), commitSeq };
  }
}
