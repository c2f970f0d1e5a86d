import type { MessagePort } from 'node:worker_threads';
import { CANDLE_STRIDE } from '../../domain/candle.js';
import { GatewayError } from '../../shared/errors.js';
import { WriterProducer, type CommittedMessage, type MainInbound, type ReadResult, type SeriesSummary } from '../../writer/contract.js';
import type { WriterStats } from '../../writer/contract.js';
import { concatPacked } from '../../domain/candle-batch.js';
import { phaseTracer } from '../../shared/phase-trace.js';

/** Benchmarks' per-phase stamps (off unless KLINE_GATEWAY_PHASE_TRACE=1). */
const trace = phaseTracer('main');

export interface SeriesCandles {
  readonly seriesId: string;
  /** Packed candles (see domain/candle.ts); the buffer is transferred, do not reuse it. */
  readonly data: Float64Array;
}

export interface WriteOptions {
  /** Publish the committed candles to WebSocket subscribers. */
  readonly publish: boolean;
  /**
   * The candles are a copy of the exchange's REST history (the backfill service's fetches): their
   * commit need not wait for the disk when nothing else shares it (writer/candle-store.ts
   * DrainOptions). Committed and readable before `write` resolves either way.
   */
  readonly refetchable?: boolean;
}

/**
 * The store as the main thread sees it. Two implementations pass one contract suite
 * (test/main/store/market-store.contract.ts): `InThreadStore` (tests, tools) and `WorkerStore`
 * (the gateway: SQLite lives in the writer worker).
 */
export interface MarketStore {
  /**
   * Queues closed candles for the writer. Resolves once they are committed AND every
   * `onCommitted` listener has seen the commit (so the hub has published them). Rejects with
   * `overloaded` when the writer queue is at its bound, `store_failed` when the commit failed.
   */
  write(candles: readonly SeriesCandles[], options: WriteOptions): Promise<void>;
  tail(seriesId: string, limit: number): Promise<ReadResult>;
  after(seriesId: string, since: number, limit: number): Promise<ReadResult>;
  /** The latest `limit` candles with time < before, ascending (scroll-back). */
  before(seriesId: string, before: number, limit: number): Promise<ReadResult>;
  between(seriesId: string, from: number, to: number, limit: number): Promise<ReadResult>;
  head(seriesId: string): Promise<number | null>;
  /**
   * Stored candles, of one series or all. With `atMost`, counting stops there: "has this series at
   * least N candles" must not scan a million-row series on the writer thread.
   */
  count(seriesId?: string, atMost?: number): Promise<number>;
  /** Extent, size and holes of a series (debug series health); scans the series on the writer thread. */
  summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Promise<SeriesSummary>;
  stats(): Promise<WriterStats>;
  /** Resolves once everything queued so far (from every producer) is committed. */
  flush(): Promise<void>;
  /** Flushes, closes the database. */
  close(): Promise<void>;
  /** Every commit, in order, before the writes it covers resolve. */
  onCommitted(listener: (msg: CommittedMessage) => void): void;
  /** A port on which another thread can send `ClosedBatchMessage`s as producer `name`. */
  connectProducer(name: string): Promise<MessagePort>;
  /** Candles sent by this thread and not yet committed. */
  readonly inFlightCandles: number;
}

/**
 * The main-thread write path shared by both implementations: the writer-producer protocol
 * (writer/producer.ts) in transfer mode with acks from the writer's notices. HTTP writes are not
 * copied for a resend: when the writer dies their callers get `store_failed` and retry. The
 * queue bound is the writer's own count (it refuses with `overloaded`), not a second one here.
 */
export abstract class StoreClientBase {
  protected readonly producer = new WriterProducer({ window: Infinity, mode: 'transfer', commitFailure: 'reject' });
  private readonly listeners: Array<(msg: CommittedMessage) => void> = [];
  /** Set when close() begins: later writes are refused instead of sent to a closing writer. */
  protected closingWrites = false;
  /** Why the last commit failed, until one succeeds (readiness). */
  private commitProblem: string | null = null;

  get inFlightCandles(): number {
    return this.producer.stats().unackedCandles;
  }

  /** The writer's last commit failed (disk full, read-only…): its reason, else null. */
  get commitFailure(): string | null {
    return this.commitProblem;
  }

  onCommitted(listener: (msg: CommittedMessage) => void): void {
    this.listeners.push(listener);
  }

  async write(candles: readonly SeriesCandles[], options: WriteOptions): Promise<void> {
    if (this.closingWrites) throw new GatewayError('shutting_down', 'the gateway is stopping; write refused');
    const data = candles.length === 1 ? candles[0]!.data : concatPacked(candles.map((c) => c.data));
    await this.producer.send({
      series: candles.map((c) => c.seriesId),
      counts: candles.map((c) => c.data.length / CANDLE_STRIDE),
      data,
      publish: options.publish,
      ...(options.refetchable ? { refetchable: true } : {}),
    });
  }

  /** Feed every message the writer sends to the main thread here. */
  protected handleWriterMessage(msg: MainInbound): void {
    if (msg.t === 'committed') {
      if (trace) for (const s of msg.segments) trace.markPacked('main.committedReceived', s.data);
      this.commitProblem = null;
      for (const listener of this.listeners) listener(msg);
      for (const seq of msg.mainAcks) this.producer.ack({ t: 'ack', seq, ok: true, committed: 0 });
    } else if (msg.t === 'commit_failed') {
      this.commitProblem = msg.error.message;
      for (const seq of msg.mainSeqs) this.producer.ack({ t: 'ack', seq, ok: false, committed: 0, error: msg.error, retrying: true });
    } else if (msg.t === 'store_status') {
      // A lost PostgreSQL connection: not ready until it is back (or a commit succeeds).
      this.commitProblem = msg.problem;
    } else {
      this.producer.ack(msg);
    }
  }

  /** The writer is gone: every write still waiting fails with `err`, and a new writer starts clean. */
  protected writerLost(err: Error): void {
    this.commitProblem = null;
    this.producer.writerLost(err);
  }
}
