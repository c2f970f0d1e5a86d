import type { MessagePort } from 'node:worker_threads';
import { CANDLE_STRIDE } from '../domain/candle.js';
import { fromWire, GatewayError } from '../shared/errors.js';
import type { BatchAckMessage, ClosedBatchMessage } from '../writer/contract.js';

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
 * Sends bulk candle batches to the writer over a producer port (store `connectProducer`), with
 * flow control: at most `maxInFlight` batches wait for their ack at a time, so an import never
 * floods the writer queue (architecture.md invariant 4) however fast files decode. Works in any
 * thread: the import runs it inside a decode worker, tests in-thread.
 */
export class BulkSender {
  private seq = 0;
  private readonly inFlight = new Map<number, number>();
  private committedRows = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private portClosed = false;

  constructor(
    private readonly port: MessagePort,
    private readonly options: BulkSenderOptions,
    /** Called after each ack with the rows committed so far. */
    private readonly onCommitted: (rows: number) => void = () => undefined,
  ) {
    port.on('message', (msg: BatchAckMessage) => this.onAck(msg));
    // The writer thread died or detached us: nothing in flight will be acked any more.
    port.on('close', () => {
      this.portClosed = true;
      if (this.inFlight.size > 0) this.fail(closedError());
    });
  }

  /** Candles acked as committed so far. */
  get committed(): number {
    return this.committedRows;
  }

  /** Posts one batch of a series (its buffer is transferred); waits first while the window is full. */
  async send(seriesId: string, data: Float64Array): Promise<void> {
    while (!this.failure && this.inFlight.size >= this.options.maxInFlight) await this.nextAck();
    if (this.failure) throw this.failure;
    if (this.portClosed) throw closedError();
    const rows = data.length / CANDLE_STRIDE;
    const msg: ClosedBatchMessage = { t: 'closed', seq: ++this.seq, series: [seriesId], counts: [rows], data, publish: this.options.publish, bulk: true };
    this.inFlight.set(msg.seq, rows);
    this.port.postMessage(msg, [data.buffer as ArrayBuffer]);
  }

  /** Resolves when every batch sent is committed; rejects with the first failure. */
  async drain(): Promise<number> {
    while (!this.failure && this.inFlight.size > 0) await this.nextAck();
    if (this.failure) throw this.failure;
    return this.committedRows;
  }

  close(): void {
    this.port.close();
  }

  private onAck(msg: BatchAckMessage): void {
    if (msg.t !== 'ack' || !this.inFlight.has(msg.seq)) return;
    this.inFlight.delete(msg.seq);
    if (msg.ok) {
      this.committedRows += msg.committed;
      this.onCommitted(this.committedRows);
      this.notify();
    } else {
      this.fail(msg.error ? fromWire(msg.error) : new GatewayError('store_failed', `batch ${msg.seq} refused by the writer`));
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  private nextAck(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function closedError(): GatewayError {
  return new GatewayError('store_failed', 'the writer closed the import port (writer stopped or restarted)');
}
