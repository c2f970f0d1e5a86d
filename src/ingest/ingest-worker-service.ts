import type { MessagePort } from 'node:worker_threads';
import { CANDLE_STRIDE, type Candle } from '../domain/candle.js';
import { describeError } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';
import type { BackfillResult, FormingBatchMessage, IngestWorkerApi, IngestWorkerData, IngestWorkerStats } from './contract.js';
import { WriterProducer, type BatchAckMessage } from '../writer/contract.js';
import { IngestEngine, type IngestEngineOptions } from './ingest-engine.js';

const log = createLogger('ingest.writer');

/**
 * Unacked batches toward the writer per worker. The writer sees at most this many of our batches
 * per drain, so the window sets how large drains can grow under load: with 1,000 series, 4 × 200
 * candles meant under one candle per series per commit (~40k rows/s, bench/ingest.ts), while
 * 64 × 200 lets drains carry tens per series (200k+ rows/s). Memory: 64 kept copies of ≤ 200 rows.
 */
const WRITER_WINDOW_BATCHES = 64;
/** Least interval between two "commit failed" warnings (the writer retries every few seconds). */
const COMMIT_FAILED_LOG_MS = 5_000;

type FormingSink = Pick<MessagePort, 'postMessage'>;

/**
 * Everything one ingest worker thread runs, testable in-thread (architecture.md: "each worker =
 * a typed API + a main-thread client"): an IngestEngine whose closed batches, and the hub's
 * backfills, go to the writer through one WriterProducer; throttled forming candles go to the
 * main thread on their own port; a low-rate API the main thread calls over comlink
 * (`workers/ingest.ts`).
 *
 * The producer copies (structured clone) instead of transferring: a writer thread can die with
 * our batches on its port or in its queue, and nobody else could send those candles again (the
 * stream has moved on). Every batch is kept until the writer acks it after the commit; on a new
 * port (`attachWriter`) everything unacked goes again, in order. A failed commit leaves the batch
 * queued in the writer, which retries it: we keep waiting for its ack.
 */
export class IngestWorkerService implements IngestWorkerApi {
  private readonly engine: IngestEngine;
  private readonly writer: WriterProducer;
  private readonly formingSeries: string[] = [];
  private formingRows: number[] = [];
  private formingScheduled = false;
  private lastCommitFailedLog = -Infinity;

  constructor(
    private readonly data: IngestWorkerData,
    private readonly formingPort: FormingSink,
    extra: Pick<IngestEngineOptions, 'exchangeNow' | 'clock'> = {},
  ) {
    this.writer = new WriterProducer({
      window: WRITER_WINDOW_BATCHES,
      mode: 'copy',
      commitFailure: 'wait',
      onCommitFailed: (ack) => this.warnCommitFailed(ack),
    });
    this.engine = new IngestEngine({
      ...extra,
      settings: data.settings,
      stream: data.stream,
      restBudgetWays: data.restBudgetWays,
      maxHoldMs: data.maxHoldMs,
      writer: this.writer,
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
    this.writer.connect(port);
  }

  fill(seriesId: string, from: number, to: number | null): void {
    this.engine.fill(seriesId, from, to ?? undefined);
  }

  async backfill(seriesId: string, from: number, to: number): Promise<BackfillResult> {
    const result = await this.engine.fetchRange(seriesId, from, to);
    const n = result.candles.length / CANDLE_STRIDE;
    if (n > 0) {
      try {
        // Unpublished: the hub's gap filler that asked re-reads the store (hub/subscription.ts).
        await this.writer.sendWhenRoom({ series: [seriesId], counts: [n], data: result.candles, publish: false });
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'store_failed';
        return { ok: false, candles: 0, error: { code, message: describeError(err) } };
      }
    }
    return result.ok ? { ok: true, candles: n } : { ok: false, candles: n, error: { code: result.error.code, message: result.error.message } };
  }

  stats(): IngestWorkerStats {
    return { ...this.engine.stats(), index: this.data.index, link: this.writer.stats() };
  }

  async close(): Promise<void> {
    await this.engine.close();
    this.flushForming();
    this.writer.close();
  }

  private warnCommitFailed(ack: BatchAckMessage): void {
    const now = Date.now();
    if (now - this.lastCommitFailedLog < COMMIT_FAILED_LOG_MS) return;
    this.lastCommitFailedLog = now;
    log.warn('the writer could not commit our batches; it keeps them and retries', { worker: this.data.index, error: ack.error?.message });
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
