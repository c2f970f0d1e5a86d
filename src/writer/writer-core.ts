import { CANDLE_STRIDE, candleCount, timeAt } from '../domain/candle.js';
import { describeError, GatewayError, toWire } from '../shared/errors.js';
import { monotonicMs } from '../shared/clock.js';
import { createLogger } from '../shared/log.js';
import type { BatchAckMessage, ClosedBatchMessage, CommittedMessage, CommittedSegment, MainInbound, ReadResult } from './contract.js';
import { planDrain, validateBatch } from './drain-plan.js';
import type { SqliteCandleStore } from './sqlite-candle-store.js';
import type { WriterStats } from './contract.js';
import { WriterCounters } from './writer-stats.js';

const log = createLogger('writer');

/** The main thread's own producer (HTTP ingest); its acks ride on the committed message. */
export const MAIN_SOURCE = 'main';

/**
 * Bulk rows written per transaction before live batches get their turn again (issue 4): ~40-80 ms
 * of SQLite work here, which bounds how long a live candle can wait behind an import. Larger slices
 * (100k, 200k) measured no faster end to end (bench/import.ts): commits are not the bottleneck.
 */
const BULK_ROWS_PER_DRAIN = 50_000;
/** Retry delays after a failed commit: the batches stay queued, nothing accepted is dropped. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface WriterCoreOptions {
  readonly maxPendingCandles: number;
  /** Receives committed/failed notices for the main thread, in commit order. */
  readonly toMain: (msg: MainInbound) => void;
  /** Receives acks for a producer port (everything except MAIN_SOURCE). */
  readonly toProducer: (source: string, ack: BatchAckMessage) => void;
}

interface Pending {
  readonly source: string;
  readonly msg: ClosedBatchMessage;
  readonly candles: number;
}

/**
 * The writer's logic, independent of threads: accepts closed batches from any producer, and on
 * each drain writes everything pending (live first, bulk in bounded slices) in ONE transaction,
 * then reports what is durable. Reads run between drains, so they always see committed state.
 */
export class WriterCore {
  private live: Pending[] = [];
  private bulk: Pending[] = [];
  private pendingCandles = 0;
  private drainScheduled = false;
  private lastDrainHadBulk = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = RETRY_MIN_MS;
  private readonly heads = new Map<string, number | null>();
  private readonly flushWaiters: Array<{ waitingFor: Set<Pending>; resolve: () => void }> = [];
  private closing = false;
  private readonly counters = new WriterCounters();

  constructor(
    private readonly store: SqliteCandleStore,
    private readonly options: WriterCoreOptions,
  ) {}

  /** Queues a batch from `source`; the drain runs on the next turn of the event loop. */
  accept(source: string, msg: ClosedBatchMessage): void {
    const problem = validateBatch(msg);
    if (problem || this.closing) {
      const error = problem ? new GatewayError('bad_request', problem) : new GatewayError('shutting_down', 'writer is closing');
      log.error('batch refused', { source, seq: msg.seq, reason: error.message });
      if (source === MAIN_SOURCE) this.options.toMain({ t: 'commit_failed', mainSeqs: [msg.seq], error: toWire(error) });
      else this.options.toProducer(source, { t: 'ack', seq: msg.seq, ok: false, committed: 0, error: toWire(error) });
      return;
    }
    const pending: Pending = { source, msg, candles: msg.data.length / CANDLE_STRIDE };
    (msg.bulk ? this.bulk : this.live).push(pending);
    this.pendingCandles += pending.candles;
    if (this.pendingCandles > this.options.maxPendingCandles) {
      this.counters.queueFull();
      log.warn('writer queue above its bound; producers should be holding back', {
        pending_candles: this.pendingCandles,
        bound: this.options.maxPendingCandles,
      });
    }
    this.scheduleDrain();
  }

  /** Resolves once everything accepted before this call is committed. */
  flush(): Promise<void> {
    const waitingFor = new Set([...this.live, ...this.bulk]);
    if (waitingFor.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push({ waitingFor, resolve });
      this.scheduleDrain();
    });
  }

  /** Stops accepting, commits everything accepted, closes the database. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.live.length > 0 || this.bulk.length > 0) {
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
    return this.counters.snapshot(this.pendingCandles, this.live.length + this.bulk.length);
  }

  /**
   * One drain: takes every live batch plus a bounded slice of bulk ones, writes them in one
   * transaction, commits, reports. Returns false when the commit failed (batches re-queued).
   */
  drain(): boolean {
    this.drainScheduled = false;
    if (this.live.length === 0 && this.bulk.length === 0) return true;
    const taken = this.live;
    this.live = [];
    // Live batches never queue behind two bulk slices: right after a bulk drain, a drain with live
    // batches writes only those. Bulk still gets every other drain under constant live load.
    let bulkRows = 0;
    let bulkTaken = 0;
    if (taken.length === 0 || !this.lastDrainHadBulk) {
      while (bulkTaken < this.bulk.length && (bulkTaken === 0 || bulkRows + this.bulk[bulkTaken]!.candles <= BULK_ROWS_PER_DRAIN)) {
        bulkRows += this.bulk[bulkTaken]!.candles;
        bulkTaken++;
      }
    }
    this.lastDrainHadBulk = bulkTaken > 0;
    taken.push(...this.bulk.splice(0, bulkTaken));

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
    this.pendingCandles -= taken.reduce((n, p) => n + p.candles, 0);
    this.report(taken, writes, rows, drainMs, committedAtMs);
    if (this.live.length > 0 || this.bulk.length > 0) this.scheduleDrain();
    return true;
  }

  private report(taken: Pending[], writes: ReturnType<typeof planDrain>, rows: number, drainMs: number, committedAtMs: number): void {
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

  private onCommitFailed(taken: Pending[], err: unknown): void {
    this.store.rollback();
    this.counters.commitFailed();
    // Put them back in front, in their original order: accepted data is never dropped.
    this.live = [...taken.filter((p) => !p.msg.bulk), ...this.live];
    this.bulk = [...taken.filter((p) => p.msg.bulk), ...this.bulk];
    const error = new GatewayError('store_failed', `commit failed: ${describeError(err)}`, { cause: err });
    log.error('commit failed; batches kept for retry', { error, batches: taken.length, retry_in_ms: this.retryDelayMs });
    const mainSeqs = taken.filter((p) => p.source === MAIN_SOURCE).map((p) => p.msg.seq);
    if (mainSeqs.length > 0) this.options.toMain({ t: 'commit_failed', mainSeqs, error: toWire(error) });
    if (!this.closing && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.drain();
      }, this.retryDelayMs);
    }
    this.retryDelayMs = Math.min(RETRY_MAX_MS, this.retryDelayMs * 2);
  }

  private settleFlushWaiters(taken: Pending[]): void {
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
