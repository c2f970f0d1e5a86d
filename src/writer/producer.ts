import type { MessagePort } from 'node:worker_threads';
import { CANDLE_STRIDE } from '../domain/candle.js';
import { fromWire, GatewayError } from '../shared/errors.js';
import type { BatchAckMessage, ClosedBatchMessage } from './contract.js';

/**
 * The one way closed candles reach the writer, used by every producer in every thread: live
 * ingest (ingest/closed-batcher.ts) and hub backfills (ingest-worker-service.ts) in the ingest
 * workers, bulk import in the decode threads (decode/bulk-sender.ts), and the main thread's own
 * writes (main/store/market-store.ts). It numbers batches, keeps a window of unacked ones, and
 * settles each batch's promise from the writer's ack:
 *
 * - `ok` → resolves with the batch's candle count (all of them are now durable);
 * - a refusal (malformed, overloaded, writer closing) → rejects with the writer's code;
 * - a failed commit (`retrying`: the writer keeps the batch queued and tries again) → rejects when
 *   the producer answers someone who can retry (`commitFailure: 'reject'`, HTTP writes), else
 *   the batch stays unacked until the writer's retry commits it (`'wait'`).
 *
 * `mode` says what happens to the bytes. `transfer` hands each buffer to the writer (no copy);
 * when the writer is lost, unacked batches fail (their bytes went with the dead thread).
 * `copy` posts a structured-clone copy and keeps the original, so that after a writer restart
 * `attach(newPort)` sends every unacked batch again, in order, to the new writer. Copy is used
 * where nobody else could send the candles again (live ingest: the stream has moved on);
 * transfer where the caller can (an HTTP client retries a 5xx, an import re-reads its file).
 */
export interface ProducerOptions {
  /** Unacked batches at most; `send` refuses beyond it (callers wait with `whenRoom`). */
  readonly window: number;
  readonly mode: 'copy' | 'transfer';
  readonly commitFailure: 'reject' | 'wait';
  /** Called for each failed commit of a batch kept waiting (logs, counters). */
  readonly onCommitFailed?: (ack: BatchAckMessage) => void;
}

/** Where batches go: a MessagePort to the writer, or the main thread's own data port. */
export interface WriterPort {
  postMessage(msg: ClosedBatchMessage, transfer?: ArrayBuffer[]): void;
}

/** A batch as a producer builds it; the producer adds `t` and `seq`. */
export type OutgoingBatch = Omit<ClosedBatchMessage, 't' | 'seq'>;

export interface ProducerStats {
  /** Batches posted and not yet acked. */
  unacked: number;
  /** Candles in them. */
  unackedCandles: number;
  sent: number;
  /** Batches sent again to a new port after the writer was replaced (copy mode). */
  resent: number;
  attaches: number;
  /** Failed commits reported for our batches (each retry that fails counts). */
  failedCommits: number;
}

interface Unacked {
  /** Kept for a resend (copy mode), else null. */
  readonly msg: ClosedBatchMessage | null;
  readonly candles: number;
  resolve(committed: number): void;
  reject(err: Error): void;
}

export class WriterProducer {
  private port: WriterPort | null = null;
  private connected: MessagePort | null = null;
  private seq = 0;
  private unackedCandles = 0;
  private readonly unacked = new Map<number, Unacked>();
  private readonly counters = { sent: 0, resent: 0, attaches: 0, failedCommits: 0 };
  private readonly roomWaiters = new Set<() => void>();
  private readonly roomListeners: Array<() => void> = [];

  constructor(private readonly opts: ProducerOptions) {}

  /** Free slots in the window. */
  get room(): number {
    return this.opts.window - this.unacked.size;
  }

  get inFlight(): number {
    return this.unacked.size;
  }

  /** Candles in the unacked batches. */
  get inFlightCandles(): number {
    return this.unackedCandles;
  }

  /**
   * A (new) port to the writer. In copy mode every unacked batch goes again, oldest first (a batch
   * the dead writer had committed is upserted twice: harmless). `null` detaches (writer lost).
   */
  attach(port: WriterPort | null): void {
    this.port = port;
    if (!port) return;
    this.counters.attaches++;
    if (this.opts.mode !== 'copy') return;
    for (const entry of this.unacked.values()) {
      port.postMessage(entry.msg!);
      if (this.counters.attaches > 1) this.counters.resent++;
    }
  }

  /**
   * Attaches a producer port from the writer (store `connectProducer`): acks come back on it, and
   * its closing means the writer is gone (stopped, restarted). A previous port is closed.
   */
  connect(port: MessagePort): void {
    const previous = this.connected;
    this.connected = port;
    previous?.close();
    port.on('message', (msg: BatchAckMessage) => {
      if (this.connected === port && msg?.t === 'ack') this.ack(msg);
    });
    port.once('close', () => {
      if (this.connected !== port) return;
      this.connected = null;
      this.writerLost(new GatewayError('store_failed', 'the writer closed the producer port (writer stopped or restarted)'));
    });
    this.attach(port);
  }

  /** Closes the connected port (the writer forgets this producer). */
  close(): void {
    const port = this.connected;
    this.connected = null;
    this.port = null;
    port?.close();
  }

  /**
   * Posts a batch (the buffer is transferred in transfer mode: do not touch it afterwards).
   * Resolves with the candles committed once the writer acks it. Throws at once when the window
   * is full, or in transfer mode when there is no writer to hand the bytes to.
   */
  send(batch: OutgoingBatch): Promise<number> {
    if (this.room <= 0) throw new GatewayError('overloaded', `writer producer window full (${this.opts.window} batches unacked)`);
    if (this.opts.mode === 'transfer' && !this.port) throw new GatewayError('store_failed', 'no writer to send to (writer stopped or restarted)');
    const msg: ClosedBatchMessage = { t: 'closed', seq: ++this.seq, ...batch };
    const candles = batch.data.length / CANDLE_STRIDE;
    this.counters.sent++;
    this.unackedCandles += candles;
    return new Promise<number>((resolve, reject) => {
      this.unacked.set(msg.seq, { msg: this.opts.mode === 'copy' ? msg : null, candles, resolve, reject });
      if (this.opts.mode === 'copy') this.port?.postMessage(msg);
      else this.port!.postMessage(msg, [msg.data.buffer as ArrayBuffer]);
    });
  }

  /** The writer's answer to one of our batches (a port message, or from a `committed` notice). */
  ack(ack: BatchAckMessage): void {
    const entry = this.unacked.get(ack.seq);
    if (!entry) return;
    if (!ack.ok && ack.retrying) this.counters.failedCommits++;
    if (!ack.ok && ack.retrying && this.opts.commitFailure === 'wait') {
      this.opts.onCommitFailed?.(ack);
      return;
    }
    this.forget(ack.seq, entry);
    if (ack.ok) entry.resolve(entry.candles);
    else entry.reject(ack.error ? fromWire(ack.error) : new GatewayError('store_failed', `batch ${ack.seq} refused by the writer`));
    this.wakeRoomWaiters();
  }

  /**
   * The writer is gone. Transfer mode: every unacked batch fails with `err` (nobody holds its bytes
   * any more). Copy mode: they wait for `attach` to send them again.
   */
  writerLost(err: Error): void {
    this.port = null;
    if (this.opts.mode === 'copy') return;
    const lost = [...this.unacked.values()];
    this.unacked.clear();
    this.unackedCandles = 0;
    for (const entry of lost) entry.reject(err);
    this.wakeRoomWaiters();
  }

  /** Called synchronously whenever a batch leaves the window (acked, refused, lost). */
  onRoom(listener: () => void): void {
    this.roomListeners.push(listener);
  }

  /** Waits for a free slot, then sends (backfills): `send` right after the check, no slot race. */
  async sendWhenRoom(batch: OutgoingBatch): Promise<number> {
    while (this.room <= 0) await this.whenRoom();
    return this.send(batch);
  }

  /** Resolves when the window has a free slot. */
  whenRoom(): Promise<void> {
    if (this.room > 0) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.add(resolve));
  }

  stats(): ProducerStats {
    return { unacked: this.unacked.size, unackedCandles: this.unackedCandles, ...this.counters };
  }

  private forget(seq: number, entry: Unacked): void {
    this.unacked.delete(seq);
    this.unackedCandles -= entry.candles;
  }

  private wakeRoomWaiters(): void {
    for (const listener of this.roomListeners) listener();
    if (this.room <= 0 || this.roomWaiters.size === 0) return;
    const waiters = [...this.roomWaiters];
    this.roomWaiters.clear();
    for (const wake of waiters) wake();
  }
}
