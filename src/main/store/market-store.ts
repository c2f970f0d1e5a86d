import type { MessagePort } from 'node:worker_threads';
import { CANDLE_STRIDE } from '../../domain/candle.js';
import { fromWire, GatewayError } from '../../shared/errors.js';
import type { ClosedBatchMessage, CommittedMessage, MainInbound, ReadResult, SeriesSummary } from '../../writer/contract.js';
import type { WriterStats } from '../../writer/contract.js';
import { concatPacked } from '../../domain/candle-batch.js';

export interface SeriesCandles {
  readonly seriesId: string;
  /** Packed candles (see domain/candle.ts); the buffer is transferred, do not reuse it. */
  readonly data: Float64Array;
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
  write(candles: readonly SeriesCandles[], options: { publish: boolean }): Promise<void>;
  tail(seriesId: string, limit: number): Promise<ReadResult>;
  after(seriesId: string, since: number, limit: number): Promise<ReadResult>;
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

interface PendingWrite {
  readonly candles: number;
  resolve(): void;
  reject(err: Error): void;
}

/** The main-thread write path shared by both implementations: sequence, bound, acks. */
export abstract class StoreClientBase {
  private seq = 0;
  private readonly pending = new Map<number, PendingWrite>();
  private readonly listeners: Array<(msg: CommittedMessage) => void> = [];
  private inFlight = 0;
  /** Set when close() begins: later writes are refused instead of sent to a closing writer. */
  protected closingWrites = false;

  constructor(private readonly maxInFlightCandles: number) {}

  get inFlightCandles(): number {
    return this.inFlight;
  }

  onCommitted(listener: (msg: CommittedMessage) => void): void {
    this.listeners.push(listener);
  }

  write(candles: readonly SeriesCandles[], options: { publish: boolean }): Promise<void> {
    if (this.closingWrites) return Promise.reject(new GatewayError('shutting_down', 'the gateway is stopping; write refused'));
    const total = candles.reduce((n, c) => n + c.data.length / CANDLE_STRIDE, 0);
    if (this.inFlight + total > this.maxInFlightCandles) {
      return Promise.reject(new GatewayError('overloaded', `writer queue full (${this.inFlight} candles pending)`));
    }
    const data = candles.length === 1 ? candles[0]!.data : concatPacked(candles.map((c) => c.data));
    const msg: ClosedBatchMessage = {
      t: 'closed',
      seq: ++this.seq,
      series: candles.map((c) => c.seriesId),
      counts: candles.map((c) => c.data.length / CANDLE_STRIDE),
      data,
      publish: options.publish,
    };
    this.inFlight += total;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(msg.seq, { candles: total, resolve, reject });
      this.sendToWriter(msg);
    });
  }

  protected abstract sendToWriter(msg: ClosedBatchMessage): void;

  /** Feed every message the writer sends to the main thread here. */
  protected handleWriterMessage(msg: MainInbound): void {
    if (msg.t === 'committed') {
      for (const listener of this.listeners) listener(msg);
      for (const seq of msg.mainAcks) this.settle(seq)?.resolve();
    } else {
      const err = fromWire(msg.error);
      for (const seq of msg.mainSeqs) this.settle(seq)?.reject(err);
    }
  }

  /** Fails every write still waiting (the writer is gone). */
  protected failAllPending(err: Error): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq)?.reject(err);
  }

  private settle(seq: number): PendingWrite | undefined {
    const p = this.pending.get(seq);
    if (p) {
      this.pending.delete(seq);
      this.inFlight -= p.candles;
    }
    return p;
  }
}
