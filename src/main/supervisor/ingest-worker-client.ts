import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import type { Candle } from '../../domain/candle.js';
import { getLogLevel } from '../../shared/log.js';
import { phaseTracer } from '../../shared/phase-trace.js';
import {
  eachFormingCandle,
  type FetchedKlines,
  type FetchedLatest,
  type OlderPagesAhead,
  type StoredHead,
  type FormingBatchMessage,
  type IngestWorkerApi,
  type IngestWorkerData,
  type IngestWorkerStats,
} from '../../ingest/contract.js';
import { transfer, type Remote } from '../../shared/comlink.js';
import { WorkerHandle } from '../threads/worker-handle.js';
import type { MarketStore } from '../store/market-store.js';

/** Benchmarks' per-phase stamps (off unless KLINE_GATEWAY_PHASE_TRACE=1). */
const trace = phaseTracer('main');
/** A worker that lived this long before dying restarts after the shortest delay again. */
const STABLE_AFTER_MS = 60_000;
/** Longest wait for a worker to flush its batches at shutdown before it is terminated anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

/** What an ingest worker needs from the store (WorkerStore also reports writer restarts). */
export interface ProducerStore extends Pick<MarketStore, 'head' | 'after' | 'connectProducer'> {
  onRestart?(listener: () => void): void;
}

/** Where forming candles go: the hub (`MarketHub.publishForming`), handed in by the gateway. */
export interface FormingSink {
  publishForming(seriesId: string, candle: Candle): unknown;
}

export interface IngestWorkerClientOptions {
  readonly index: number;
  readonly data: Omit<IngestWorkerData, 'index' | 'logLevel'>;
  readonly store: ProducerStore;
  readonly forming: FormingSink;
}

/**
 * The main thread's handle on one ingest worker thread (architecture.md): three channels —
 * comlink on the worker's own port for the low-rate API, a producer port from the writer
 * (`store.connectProducer`) handed to the worker for closed batches, and a forming port whose
 * messages go straight to the forming sink (the hub), never through the supervisor. The thread is
 * a WorkerHandle: restarted with backoff when it dies; calls made meanwhile, or in flight when it
 * died, fail with `unavailable` instead of hanging.
 */
export class IngestWorkerClient {
  readonly index: number;
  private readonly handle: WorkerHandle<IngestWorkerApi>;
  private formingPort: MessagePort | undefined;
  private readonly upListeners: Array<(index: number) => void> = [];
  private readonly downListeners: Array<(index: number) => void> = [];

  constructor(private readonly opts: IngestWorkerClientOptions) {
    this.index = opts.index;
    this.handle = new WorkerHandle<IngestWorkerApi>({
      name: `ingest-${this.index}`,
      entry: 'ingest',
      downCode: 'unavailable',
      spawnData: () => {
        this.formingPort?.close();
        const forming = new MessageChannel();
        this.formingPort = forming.port1;
        const sink = opts.forming;
        forming.port1.on('message', (msg: FormingBatchMessage) => {
          trace?.markPacked('main.formingReceived', msg.data);
          eachFormingCandle(msg, (seriesId, candle) => sink.publishForming(seriesId, candle));
          // After the hub's socket flush, a microtask queued during publishForming.
          if (trace) queueMicrotask(() => trace.markPacked('main.formingPublished', msg.data));
        });
        return {
          data: { ...opts.data, index: this.index, logLevel: getLogLevel(), formingPort: forming.port2 },
          transferList: [forming.port2],
        };
      },
      // Up means connected to the writer: jobs started before that would batch into the void.
      onStarted: (call) => this.connectWriter(call),
      onUp: () => this.upListeners.forEach((l) => l(this.index)),
      onDown: () => {
        this.formingPort?.close();
        this.downListeners.forEach((l) => l(this.index));
      },
      restart: { backoff: { baseMs: 500, capMs: 30_000 }, stableAfterMs: STABLE_AFTER_MS, retryFirstStart: true },
    });
  }

  get isAlive(): boolean {
    return this.handle.isUp;
  }

  get crashes(): number {
    return this.handle.crashes;
  }

  get lastCrashAt(): number | null {
    return this.handle.lastCrashAt;
  }

  /** The thread (tests terminate it to prove restarts). */
  get thread(): Worker | undefined {
    return this.handle.thread;
  }

  /** The thread is (again) running and connected to the writer: (re)start its jobs. */
  onUp(listener: (index: number) => void): void {
    this.upListeners.push(listener);
  }

  /** The thread died; the client restarts it by itself. */
  onDown(listener: (index: number) => void): void {
    this.downListeners.push(listener);
  }

  /** Spawns the thread and connects it to the writer; rejects if it fails (a retry follows). */
  start(): Promise<void> {
    return this.handle.start();
  }

  /** A new producer port after the writer thread was replaced (unacked batches are re-sent). */
  async reconnectWriter(): Promise<void> {
    if (this.handle.isUp) await this.connectWriter((fn) => this.handle.call(fn));
  }

  startJob(seriesId: string, head: number | null): Promise<void> {
    return this.handle.call((api) => api.start(seriesId, head));
  }

  stopJob(seriesId: string): Promise<void> {
    return this.handle.call((api) => api.stop(seriesId));
  }

  fill(seriesId: string, from: number, to: number | null): Promise<void> {
    return this.handle.call((api) => api.fill(seriesId, from, to));
  }

  stats(): Promise<IngestWorkerStats> {
    return this.handle.call((api) => api.stats());
  }

  fetchClosed(seriesId: string, from: number, to: number, json = false, aheadId?: number): Promise<FetchedKlines> {
    return this.handle.call((api) => api.fetchClosed(seriesId, from, to, json, aheadId));
  }

  fetchLatest(seriesId: string, count: number, json = false, ahead?: OlderPagesAhead): Promise<FetchedLatest> {
    return this.handle.call((api) => api.fetchLatest(seriesId, count, json, ahead));
  }

  tailStoredHead(seriesId: string, aheadId: number, head: StoredHead): Promise<void> {
    return this.handle.call((api) => api.tailStoredHead(seriesId, aheadId, head));
  }

  /** Shutdown: the worker stops its jobs and flushes their batches (bounded wait), then the thread ends. */
  async close(): Promise<void> {
    await this.handle.close((api) => api.close(), CLOSE_TIMEOUT_MS);
    this.formingPort?.close();
  }

  private async connectWriter(call: <T>(fn: (api: Remote<IngestWorkerApi>) => Promise<T> | T) => Promise<T>): Promise<void> {
    const port = await this.opts.store.connectProducer(`ingest-${this.index}`);
    await call((api) => api.attachWriter(transfer(port, [port]))).catch((err) => {
      port.close();
      throw err;
    });
  }
}
