import type { MessagePort } from 'node:worker_threads';
import { CANDLE_STRIDE } from '../domain/candle.js';
import { WriterProducer } from '../writer/contract.js';

export interface BulkSenderOptions {
  /**
   * Batches posted and not yet acked before `send` waits. Two keep the writer busy while the next
   * chunk is decoded; a few more absorb jitter. Memory held is this × the chunk size.
   */
  readonly maxInFlight: number;
  /** Publish the committed candles to WebSocket subscribers (history: false). */
  readonly publish: boolean;
}

/**
 * Sends bulk candle batches to the writer over a producer port (store `connectProducer`) through
 * the writer-producer protocol (writer/producer.ts): at most `maxInFlight` batches wait for their
 * ack at a time, so an import never floods the writer queue (architecture.md invariant 4) however
 * fast files decode. Transfer mode: each 50k-row chunk is handed over without a copy; if the writer
 * dies the import fails (`store_failed`) and can be run again from its file. A failed commit is
 * waited out (the writer keeps and retries the batch). Works in any thread: the import runs it
 * inside a decode worker, tests in-thread.
 */
export class BulkSender {
  private readonly producer: WriterProducer;
  private readonly outstanding = new Set<Promise<unknown>>();
  private committedRows = 0;
  private failure: Error | null = null;

  constructor(
    port: MessagePort,
    private readonly options: BulkSenderOptions,
    /** Called after each ack with the rows committed so far. */
    private readonly onCommitted: (rows: number) => void = () => undefined,
  ) {
    this.producer = new WriterProducer({ window: options.maxInFlight, mode: 'transfer', commitFailure: 'wait' });
    this.producer.connect(port);
  }

  /** Candles acked as committed so far. */
  get committed(): number {
    return this.committedRows;
  }

  /** Posts one batch of a series (its buffer is transferred); waits first while the window is full. */
  async send(seriesId: string, data: Float64Array): Promise<void> {
    while (!this.failure && this.producer.room <= 0) await this.producer.whenRoom();
    if (this.failure) throw this.failure;
    const rows = data.length / CANDLE_STRIDE;
    const done = this.producer.send({ series: [seriesId], counts: [rows], data, publish: this.options.publish, bulk: true }).then(
      (candles) => {
        this.committedRows += candles;
        this.onCommitted(this.committedRows);
      },
      (err: Error) => void (this.failure ??= err),
    );
    this.outstanding.add(done);
    void done.finally(() => this.outstanding.delete(done));
  }

  /** Resolves when every batch sent is committed; rejects with the first failure. */
  async drain(): Promise<number> {
    while (!this.failure && this.outstanding.size > 0) await Promise.race(this.outstanding);
    if (this.failure) throw this.failure;
    return this.committedRows;
  }

  close(): void {
    this.producer.close();
  }
}
