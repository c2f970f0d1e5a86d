import type { MessagePort } from 'node:worker_threads';
import { CANDLE_STRIDE, type Candle } from '../domain/candle.js';
import type { BackfillResult, FormingBatchMessage, IngestWorkerApi, IngestWorkerData, IngestWorkerStats } from './contract.js';
import type { BatchAckMessage } from '../writer/contract.js';
import { IngestEngine, type IngestEngineOptions } from './ingest-engine.js';
import { WriterLink } from './writer-link.js';

/**
 * Everything one ingest worker thread runs, testable in-thread (architecture.md: "each worker =
 * a typed API + a main-thread client"): an IngestEngine whose closed batches go to the writer
 * over a WriterLink (acks come back to the engine's batcher for flow control), whose throttled
 * forming candles go to the main thread on their own port, and a low-rate API the main thread
 * calls over comlink (`workers/ingest.ts`).
 */

type FormingSink = Pick<MessagePort, 'postMessage'>;

export class IngestWorkerService implements IngestWorkerApi {
  private readonly engine: IngestEngine;
  private readonly link: WriterLink;
  private readonly formingSeries: string[] = [];
  private formingRows: number[] = [];
  private formingScheduled = false;
  /** Backfill batches use negative sequence numbers, so they never collide with the batcher's. */
  private backfillSeq = 0;
  private readonly backfillWaiters = new Map<number, (ack: BatchAckMessage) => void>();

  constructor(
    private readonly data: IngestWorkerData,
    private readonly formingPort: FormingSink,
    extra: Pick<IngestEngineOptions, 'exchangeNow' | 'clock'> = {},
  ) {
    this.link = new WriterLink((ack) => {
      const waiter = this.backfillWaiters.get(ack.seq);
      if (waiter) {
        this.backfillWaiters.delete(ack.seq);
        waiter(ack);
      } else this.engine.ack(ack);
    });
    this.engine = new IngestEngine({
      ...extra,
      settings: data.settings,
      stream: data.stream,
      restBudgetWays: data.restBudgetWays,
      maxHoldMs: data.maxHoldMs,
      sendClosed: (msg) => this.link.send(msg),
      onForming: (seriesId, candle) => this.queueForming(seriesId, candle),
    });
  }

  start(seriesId: string, head: number | null): void {
    this.engine.start(seriesId, head);
  }

  stop(seriesId: string): void {
    this.engine.stop(seriesId);
  }

  attachWriter(port: MessagePort): void {
    this.link.attach(port);
  }

  fill(seriesId: string, from: number, to: number | null): void {
    this.engine.fill(seriesId, from, to ?? undefined);
  }

  async backfill(seriesId: string, from: number, to: number): Promise<BackfillResult> {
    const result = await this.engine.fetchRange(seriesId, from, to);
    const n = result.candles.length / CANDLE_STRIDE;
    if (n > 0) {
      const seq = --this.backfillSeq;
      // Unpublished: the hub's gap filler that asked re-reads the store (hub/subscription.ts).
      const ack = await new Promise<BatchAckMessage>((resolve) => {
        this.backfillWaiters.set(seq, resolve);
        this.link.send({ t: 'closed', seq, series: [seriesId], counts: [n], data: result.candles, publish: false });
      });
      if (!ack.ok) return { ok: false, candles: 0, error: ack.error ?? { code: 'store_failed', message: 'writer refused the batch' } };
    }
    return result.ok ? { ok: true, candles: n } : { ok: false, candles: n, error: { code: result.error.code, message: result.error.message } };
  }

  stats(): IngestWorkerStats {
    return { ...this.engine.stats(), index: this.data.index, link: this.link.stats() };
  }

  async close(): Promise<void> {
    await this.engine.close();
    this.flushForming();
    this.link.close();
  }

  /** Coalesces the forming candles of one event-loop turn into one message to the main thread. */
  private queueForming(seriesId: string, c: Candle): void {
    this.formingSeries.push(seriesId);
    this.formingRows.push(c.candle_time, c.open, c.high, c.low, c.close, c.volume);
    if (this.formingScheduled) return;
    this.formingScheduled = true;
    setImmediate(() => this.flushForming());
  }

  private flushForming(): void {
    this.formingScheduled = false;
    if (this.formingSeries.length === 0) return;
    const data = new Float64Array(this.formingRows);
    const msg: FormingBatchMessage = { t: 'forming', series: this.formingSeries.splice(0), data };
    this.formingRows = [];
    this.formingPort.postMessage(msg, [data.buffer]);
  }
}
