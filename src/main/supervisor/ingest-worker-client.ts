import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Candle } from '../../domain/candle.js';
import { GatewayError } from '../../shared/errors.js';
import { Backoff } from '../../shared/backoff.js';
import { createLogger, getLogLevel } from '../../shared/log.js';
import {
  eachFormingCandle,
  type FetchedKlines,
  type FetchedLatest,
  type FormingBatchMessage,
  type IngestWorkerApi,
  type IngestWorkerData,
  type IngestWorkerStats,
} from '../../ingest/contract.js';
import { transfer, wrap, type Remote } from '../../shared/comlink.js';
import { spawnWorker } from '../threads/worker-entry.js';
import type { MarketStore } from '../store/market-store.js';

const log = createLogger('supervisor.worker');

/** A worker that lived this long before dying restarts after the shortest delay again. */
const STABLE_AFTER_MS = 60_000;
/** Longest wait for a worker to flush its batches at shutdown before it is terminated anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

/** What the supervisor needs from the store (WorkerStore also reports writer restarts). */
export interface ProducerStore extends Pick<MarketStore, 'head' | 'after' | 'connectProducer'> {
  onRestart?(listener: () => void): void;
}

export interface IngestWorkerClientOptions {
  readonly index: number;
  readonly data: Omit<IngestWorkerData, 'index' | 'logLevel'>;
  readonly store: ProducerStore;
  /** Throttled forming candles from the worker (→ hub.publishForming). */
  readonly onForming: (seriesId: string, candle: Candle) => void;
  /** The thread died unexpectedly; the client restarts it by itself. */
  readonly onDown: (index: number) => void;
  /** The thread is (again) running and connected to the writer: (re)start its jobs. */
  readonly onUp: (index: number) => void;
}

/**
 * The main thread's handle on one ingest worker thread (architecture.md): three channels —
 * comlink on the worker's own port for the low-rate API, a producer port from the writer
 * (`store.connectProducer`) handed to the worker for closed batches, and a forming port whose
 * messages go straight to the hub. A thread that dies is restarted with backoff; calls made
 * meanwhile, or in flight when it died, fail with `unavailable` instead of hanging (comlink
 * alone would wait forever for a reply from a dead thread).
 */
export class IngestWorkerClient {
  readonly index: number;
  crashes = 0;
  lastCrashAt: number | null = null;
  private worker: Worker | undefined;
  private api: Remote<IngestWorkerApi> | undefined;
  private formingPort: MessagePort | undefined;
  private alive = false;
  private closing = false;
  private startedAt = 0;
  private died: Promise<never> = new Promise<never>(() => undefined);
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly backoff = new Backoff({ baseMs: 500, capMs: 30_000 });

  constructor(private readonly opts: IngestWorkerClientOptions) {
    this.index = opts.index;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** The thread (tests terminate it to prove restarts). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /** Spawns the thread and connects it to the writer; rejects if it dies during start-up. */
  async start(): Promise<void> {
    const forming = new MessageChannel();
    this.formingPort = forming.port1;
    forming.port1.on('message', (msg: FormingBatchMessage) => eachFormingCandle(msg, this.opts.onForming));
    const worker = spawnWorker(
      'ingest',
      { ...this.opts.data, index: this.index, logLevel: getLogLevel(), formingPort: forming.port2 },
      { transferList: [forming.port2], name: `ingest-${this.index}` },
    );
    this.worker = worker;
    this.startedAt = Date.now();
    this.died = new Promise<never>((_, reject) =>
      worker.once('exit', (code) => reject(new GatewayError('unavailable', `ingest worker ${this.index} exited (code ${code})`))),
    );
    this.died.catch(() => undefined);
    worker.on('error', (err) => log.error('ingest worker failed', { worker: this.index, error: err }));
    worker.once('exit', (code) => this.onExit(worker, code));
    try {
      await Promise.race([whenReady(worker), this.died]);
      this.api = wrap<IngestWorkerApi>(worker);
      await this.connectWriter(worker);
    } catch (err) {
      // Half started (e.g. the writer is down): end it; onExit schedules the next attempt.
      void worker.terminate();
      throw err;
    }
    this.alive = true;
    this.opts.onUp(this.index);
  }

  /** A new producer port after the writer thread was replaced (unacked batches are re-sent). */
  async reconnectWriter(): Promise<void> {
    if (this.alive && this.worker) await this.connectWriter(this.worker);
  }

  startJob(seriesId: string, head: number | null): Promise<void> {
    return this.call((api) => api.start(seriesId, head));
  }

  stopJob(seriesId: string): Promise<void> {
    return this.call((api) => api.stop(seriesId));
  }

  fill(seriesId: string, from: number, to: number | null): Promise<void> {
    return this.call((api) => api.fill(seriesId, from, to));
  }

  stats(): Promise<IngestWorkerStats> {
    return this.call((api) => api.stats());
  }

  fetchClosed(seriesId: string, from: number, to: number): Promise<FetchedKlines> {
    return this.call((api) => api.fetchClosed(seriesId, from, to));
  }

  fetchLatest(seriesId: string, count: number, after: number | null): Promise<FetchedLatest> {
    return this.call((api) => api.fetchLatest(seriesId, count, after));
  }

  /** Shutdown: the worker stops its jobs and flushes their batches (bounded wait), then the thread ends. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    if (this.alive) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
      const closed = this.call((api) => api.close()).then(
        () => true,
        (err) => log.warn('ingest worker close failed', { worker: this.index, error: err }),
      );
      if ((await Promise.race([closed, timeout])) !== true)
        log.warn('ingest worker did not flush in time; terminating it', { worker: this.index, timeoutMs: CLOSE_TIMEOUT_MS });
      clearTimeout(timer);
    }
    this.alive = false;
    this.formingPort?.close();
    await worker.terminate();
  }

  private async connectWriter(worker: Worker): Promise<void> {
    const port = await this.opts.store.connectProducer(`ingest-${this.index}`);
    if (this.worker !== worker) {
      port.close();
      return;
    }
    await Promise.race([this.api!.attachWriter(transfer(port, [port])), this.died]);
  }

  private async call<T>(fn: (api: Remote<IngestWorkerApi>) => Promise<T>): Promise<T> {
    if (!this.alive || !this.api) throw new GatewayError('unavailable', `ingest worker ${this.index} is down`);
    return Promise.race([fn(this.api), this.died]);
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    const wasAlive = this.alive;
    this.alive = false;
    this.formingPort?.close();
    if (this.closing) return;
    this.crashes++;
    this.lastCrashAt = Date.now();
    if (Date.now() - this.startedAt >= STABLE_AFTER_MS) this.backoff.reset();
    const delayMs = this.backoff.next();
    log.error('ingest worker exited; restarting it with its jobs', { worker: this.index, code, delayMs, crashes: this.crashes });
    if (wasAlive) this.opts.onDown(this.index);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closing) return;
      this.start().catch((err) => log.error('ingest worker restart failed', { worker: this.index, error: err }));
    }, delayMs);
  }
}

/** The worker posts `{t:'ready'}` once its API is exposed (workers/ingest.ts). */
function whenReady(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: { t?: string }) => {
      if (m?.t !== 'ready') return;
      worker.off('message', onMessage);
      resolve();
    };
    worker.on('message', onMessage);
  });
}
