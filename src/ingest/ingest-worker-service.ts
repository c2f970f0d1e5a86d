import type { MessagePort } from 'node:worker_threads';
import type { Candle } from '../domain/candle.js';
import { transfer } from '../shared/comlink.js';
import type { FetchedKlines, FetchedLatest, FormingBatchMessage, IngestWorkerApi, IngestWorkerData, IngestWorkerStats } from './contract.js';
import type { GapFillResult } from './binance/binance-rest.js';
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

  constructor(
    private readonly data: IngestWorkerData,
    private readonly formingPort: FormingSink,
    extra: Pick<IngestEngineOptions, 'exchangeNow' | 'clock'> = {},
  ) {
    this.link = new WriterLink((ack) => this.engine.ack(ack));
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

  async fetchClosed(seriesId: string, from: number, to: number): Promise<FetchedKlines> {
    return handOver(await this.engine.fetchRange(seriesId, from, to), {});
  }

  async fetchLatest(seriesId: string, count: number, after: number | null): Promise<FetchedLatest> {
    const result = await this.engine.fetchLatest(seriesId, count, after);
    return handOver(result, { currentOpen: result.currentOpen });
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

/** A REST result as the main thread gets it: the error as plain data, the candles' buffer transferred. */
function handOver<T extends object>(result: GapFillResult, extra: T): FetchedKlines & T {
  // Transfer needs a buffer of its own (a page is; a view into a larger buffer would move it all).
  const candles = result.candles.byteLength === result.candles.buffer.byteLength ? result.candles : result.candles.slice();
  const base = { ok: result.ok, candles, requests: result.requests, weight: result.weight, ...extra };
  const fetched = result.ok ? base : { ...base, error: { code: result.error.code, message: result.error.message } };
  return transfer(fetched, [candles.buffer as ArrayBuffer]);
}
