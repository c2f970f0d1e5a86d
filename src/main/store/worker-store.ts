import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { GatewayError } from '../../shared/errors.js';
import { createLogger, getLogLevel } from '../../shared/log.js';
import type { MainInbound, ReadResult, SeriesSummary, WriterApi, WriterSettings, WriterStats } from '../../writer/contract.js';
import { transfer, type Remote } from '../../shared/comlink.js';
import { WorkerHandle } from '../threads/worker-handle.js';
import { repairAfterWriter } from './store-ownership.js';
import { StoreClientBase, type MarketStore } from './market-store.js';

const log = createLogger('store.client');

/** Restarts in a row allowed for a crashing writer before the store gives up (readiness stays down). */
const MAX_WRITER_RESTARTS = 5;
/** A writer that lived this long before dying restarts after the shortest delay again. */
const WRITER_STABLE_AFTER_MS = 60_000;

/**
 * The main thread's handle on the writer worker: closed batches go on a dedicated data port
 * (transferred buffers), reads and control calls go through comlink on the worker's own port,
 * committed notices come back on that port in commit order.
 *
 * The database owner file is held by the process (see gateway start-up), so when the writer thread
 * dies we know nobody has the file open and may repair its lock before starting a new one
 * (SQLite; a PostgreSQL connection dies with the thread and needs no repair).
 */
export class WorkerStore extends StoreClientBase implements MarketStore {
  private readonly handle: WorkerHandle<WriterApi>;
  private dataPort: MessagePort | null = null;
  private closing = false;
  private readonly ready: Promise<void>;
  private readonly restartListeners: Array<() => void> = [];
  private readonly lostListeners: Array<() => void> = [];

  constructor(private readonly settings: WriterSettings) {
    super();
    this.handle = new WorkerHandle<WriterApi>({
      name: 'writer',
      entry: 'writer',
      downCode: 'store_failed',
      // A read or flush during a writer restart waits for the new writer.
      callsWaitForRestart: true,
      spawnData: () => {
        this.dataPort?.close(); // the previous writer's end died with it
        const { port1, port2 } = new MessageChannel();
        this.dataPort = port1;
        return { data: { settings, mainPort: port2, logLevel: getLogLevel() }, transferList: [port2] };
      },
      onMessage: (msg) => this.handleWriterMessage(msg as MainInbound),
      onUp: (restarted) => {
        this.producer.attach(this.dataPort);
        if (restarted) this.restartListeners.forEach((l) => l());
      },
      onDown: (code) => this.onWriterDown(code),
      restart: {
        backoff: { baseMs: 50, capMs: 5_000 },
        stableAfterMs: WRITER_STABLE_AFTER_MS,
        maxRestarts: MAX_WRITER_RESTARTS,
        // A writer that cannot open the database at start-up is a fatal start-up error.
        retryFirstStart: false,
        before: () => repairAfterWriter(settings),
      },
    });
    this.ready = this.handle.start().catch((err: Error) => {
      this.dataPort?.close();
      // The thread is gone and the process owns the file: nothing of the failed open may remain.
      try {
        repairAfterWriter(settings);
      } catch (e) {
        log.warn('could not remove the lock of the failed writer', { error: e });
      }
      throw err;
    });
    this.ready.catch(() => undefined);
  }

  /** Resolves when the writer has opened the database; rejects with its reason if it could not. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  get isAlive(): boolean {
    return !this.closing && this.handle.isUp;
  }

  /** Why the gateway cannot take writes right now (readiness): writer down, or commits failing. */
  notReadyReasons(): string[] {
    if (!this.isAlive) return ['writer is down'];
    const failure = this.commitFailure;
    return failure ? [`store cannot commit: ${failure}`] : [];
  }

  /** Called after a crashed writer was replaced: producers must connect again. */
  onRestart(listener: () => void): void {
    this.restartListeners.push(listener);
  }

  /**
   * Called at once when the writer thread dies, before any replacement commits: whatever was
   * derived from its commit sequence (the tail cache) must be dropped, as the new writer counts
   * commits from zero again.
   */
  onWriterLost(listener: () => void): void {
    this.lostListeners.push(listener);
  }

  tail(seriesId: string, limit: number): Promise<ReadResult> {
    return this.call((api) => api.tail(seriesId, limit));
  }

  after(seriesId: string, since: number, limit: number): Promise<ReadResult> {
    return this.call((api) => api.after(seriesId, since, limit));
  }

  between(seriesId: string, from: number, to: number, limit: number): Promise<ReadResult> {
    return this.call((api) => api.between(seriesId, from, to, limit));
  }

  before(seriesId: string, before: number, limit: number): Promise<ReadResult> {
    return this.call((api) => api.before(seriesId, before, limit));
  }

  head(seriesId: string): Promise<number | null> {
    return this.call((api) => api.head(seriesId));
  }

  count(seriesId?: string, atMost?: number): Promise<number> {
    return this.call((api) => api.count(seriesId, atMost));
  }

  stats(): Promise<WriterStats> {
    return this.call((api) => api.stats());
  }

  summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Promise<SeriesSummary> {
    return this.call((api) => api.summary(seriesId, tfSeconds, maxRecentGaps));
  }

  flush(): Promise<void> {
    return this.call((api) => api.flush());
  }

  async connectProducer(name: string): Promise<MessagePort> {
    const { port1, port2 } = new MessageChannel();
    await this.call((api) => api.attachProducer(name, transfer(port2, [port2])));
    return port1;
  }

  /**
   * Commits everything accepted and closes the database. When the writer cannot close cleanly its
   * thread is ended anyway and its lock repaired as after a crash, so the next start finds the
   * database usable; the failure is still reported.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.closingWrites = true;
    const started = await this.ready.then(
      () => true,
      () => false,
    );
    let failure: unknown = null;
    if (started) await this.handle.call((api) => api.close()).catch((err: unknown) => (failure = err));
    this.dataPort?.close();
    await this.handle.close();
    if (failure !== null) {
      log.error('writer did not close cleanly; repairing its lock', { error: failure });
      repairAfterWriter(this.settings);
      throw failure;
    }
  }

  /** Test hook: kills the writer thread as a crash would (the store restarts it). */
  async crashWriterForTest(): Promise<void> {
    await this.handle.thread?.terminate();
  }

  /** The current writer thread (tests). */
  get thread(): Worker | undefined {
    return this.handle.thread;
  }

  private call<T>(fn: (api: Remote<WriterApi>) => Promise<T> | T): Promise<T> {
    if (this.closing) return Promise.reject(new GatewayError('shutting_down', 'store is closing'));
    return this.ready.then(() => this.handle.call(fn));
  }

  private onWriterDown(code: number): void {
    this.producer.attach(null);
    this.writerLost(new GatewayError('store_failed', `writer thread exited (code ${code})`));
    for (const listener of this.lostListeners) listener();
  }
}
