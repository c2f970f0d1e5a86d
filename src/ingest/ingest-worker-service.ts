import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import type { Candle } from '../domain/candle.js';
import { transfer } from '../shared/comlink.js';
import { createLogger } from '../shared/log.js';
import type {
  FetchedKlines,
  FetchedLatest,
  FormingBatchMessage,
  IngestWorkerApi,
  IngestWorkerData,
  IngestWorkerStats,
  OlderPagesAhead,
  StoredHead,
} from './contract.js';
import type { GapFillResult } from '../exchange/binance/binance-rest.js';
import { WriterProducer, type BatchAckMessage } from '../writer/contract.js';
import { IngestEngine, type IngestEngineOptions } from './ingest-engine.js';
import { phaseTracer } from '../shared/phase-trace.js';
import { threadCpuSeconds } from '../shared/thread-cpu.js';

/** Benchmarks' per-phase stamps (off unless KLINE_GATEWAY_PHASE_TRACE=1). */
const trace = phaseTracer('ingest');

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
/** Forming candles of one socket read posted at once; more wait for the end of the turn (see queueForming). */
const FORMING_POST_AT_ONCE_MAX = 32;

type FormingSink = Pick<MessagePort, 'postMessage'>;

/**
 * Everything one ingest worker thread runs, testable in-thread (architecture.md: "each worker =
 * a typed API + a main-thread client"): an IngestEngine whose closed batches go to the writer
 * through one WriterProducer; throttled forming candles go to the main thread on their own port;
 * a low-rate API the main thread calls over comlink (`workers/ingest.ts`), which also fetches
 * REST klines for the main thread's backfill service (it commits them itself).
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
      restBlocks: data.restBlocks,
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

  async fetchClosed(seriesId: string, from: number, to: number, json = false, aheadId?: number): Promise<FetchedKlines> {
    return handOver(await this.engine.fetchRange(seriesId, from, to, json, aheadId), {});
  }

  async fetchLatest(seriesId: string, count: number, json = false, ahead?: OlderPagesAhead): Promise<FetchedLatest> {
    const result = await this.engine.fetchLatest(seriesId, count, json, ahead);
    return handOver(result, { currentOpen: result.currentOpen });
  }

  tailStoredHead(_seriesId: string, aheadId: number, head: StoredHead): void {
    this.engine.tailStoredHead(aheadId, head);
  }

  stats(): IngestWorkerStats {
    const elu = performance.eventLoopUtilization();
    return {
      ...this.engine.stats(),
      index: this.data.index,
      link: this.writer.stats(),
      eventLoop: { activeMs: elu.active, idleMs: elu.idle },
      threadCpuSeconds: threadCpuSeconds(),
    };
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

  /**
   * Coalesces forming candles into one message to the main thread. At the end of a socket read (a
   * microtask) a few candles go at once: waiting for the end of the event-loop turn (setImmediate)
   * cost 0.6 ms at the median at low load, behind the poll phase's other reads and port messages.
   * Many candles — a busy read — wait for the turn's end to share one message with the other
   * connections' reads, as a post costs tens of µs whatever it carries.
   */
  private queueForming(seriesId: string, c: Candle): void {
    this.formingSeries.push(seriesId);
    this.formingRows.push(c.candle_time, c.open, c.high, c.low, c.close, c.volume);
    if (this.formingScheduled) return;
    this.formingScheduled = true;
    queueMicrotask(this.afterRead);
  }

  private readonly afterRead = (): void => {
    if (this.formingSeries.length <= FORMING_POST_AT_ONCE_MAX) this.flushForming();
    else setImmediate(this.flushAtTurnEnd);
  };

  private readonly flushAtTurnEnd = (): void => this.flushForming();

  private flushForming(): void {
    this.formingScheduled = false;
    if (this.formingSeries.length === 0) return;
    const data = new Float64Array(this.formingRows);
    const msg: FormingBatchMessage = { t: 'forming', series: this.formingSeries.splice(0), data };
    this.formingRows = [];
    trace?.markPacked('ingest.formingPosted', data);
    this.formingPort.postMessage(msg, [data.buffer]);
  }
}

/** A REST result as the main thread gets it: the error as plain data, the candles' buffer transferred. */
function handOver<T extends object>(result: GapFillResult, extra: T): FetchedKlines & T {
  // Transfer needs a buffer of its own (a page is; a view into a larger buffer would move it all).
  const candles = result.candles.byteLength === result.candles.buffer.byteLength ? result.candles : result.candles.slice();
  const json = result.json;
  const base = { ok: result.ok, candles, requests: result.requests, weight: result.weight, ...(json ? { json } : {}), ...extra };
  const fetched = result.ok ? base : { ...base, error: { code: result.error.code, message: result.error.message } };
  // The JSON's bytes and starts are buffers of their own (a page's), moved with the candles.
  const buffers = [candles.buffer as ArrayBuffer];
  if (json) buffers.push(json.bytes.buffer as ArrayBuffer, json.starts.buffer as ArrayBuffer);
  return transfer(fetched, buffers);
}
