import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { GatewayError } from '../../shared/errors.js';
import { createLogger, getLogLevel } from '../../shared/log.js';
import type { ClosedBatchMessage, MainInbound, ReadResult, SeriesSummary } from '../../writer/contract.js';
import { transfer, wrap, type Remote } from '../../shared/comlink.js';
import { spawnWorker } from '../threads/worker-entry.js';
import { recoverStaleLock } from './db-owner.js';
import { StoreClientBase, type MarketStore } from './market-store.js';
import type { WriterApi, WriterSettings, WriterStats } from '../../writer/contract.js';

const log = createLogger('store.client');

/** Restarts allowed for a crashed writer before the store gives up (and readiness stays down). */
const MAX_WRITER_RESTARTS = 5;

/**
 * The main thread's handle on the writer worker: closed batches go on a dedicated data port
 * (transferred buffers), reads and control calls go through comlink on the worker's own port,
 * committed notices come back on that port in commit order.
 *
 * The database owner file is held by the process (see gateway start-up), so when the writer thread
 * dies we know nobody has the file open and may repair its lock before starting a new one.
 */
export class WorkerStore extends StoreClientBase implements MarketStore {
  private worker!: Worker;
  private api!: Remote<WriterApi>;
  private dataPort!: MessagePort;
  private closing = false;
  private restarts = 0;
  private ready!: Promise<void>;
  /**
   * Rejecters of calls in flight to the current writer: when it exits they fail instead of
   * hanging. (Not a Promise.race against a "lost" promise: every race would leave a reaction on
   * that never-settling promise, retaining each call's result for the process's life.)
   */
  private readonly inFlightCalls = new Set<(err: Error) => void>();
  private readonly restartListeners: Array<() => void> = [];
  private readonly lostListeners: Array<() => void> = [];

  constructor(private readonly settings: WriterSettings) {
    super(settings.maxPendingCandles);
    this.start();
  }

  /** Resolves when the writer has opened the database (rejects if it could not). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  get isAlive(): boolean {
    return !this.closing && this.worker.threadId !== -1;
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

  protected sendToWriter(msg: ClosedBatchMessage): void {
    this.dataPort.postMessage(msg, [msg.data.buffer as ArrayBuffer]);
  }

  async tail(seriesId: string, limit: number): Promise<ReadResult> {
    return this.call(() => this.api.tail(seriesId, limit));
  }

  async after(seriesId: string, since: number, limit: number): Promise<ReadResult> {
    return this.call(() => this.api.after(seriesId, since, limit));
  }

  async between(seriesId: string, from: number, to: number, limit: number): Promise<ReadResult> {
    return this.call(() => this.api.between(seriesId, from, to, limit));
  }

  async head(seriesId: string): Promise<number | null> {
    return this.call(() => this.api.head(seriesId));
  }

  async count(seriesId?: string, atMost?: number): Promise<number> {
    return this.call(() => this.api.count(seriesId, atMost));
  }

  async summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Promise<SeriesSummary> {
    return this.call(() => this.api.summary(seriesId, tfSeconds, maxRecentGaps));
  }

  async stats(): Promise<WriterStats> {
    return this.call(() => this.api.stats());
  }

  async flush(): Promise<void> {
    return this.call(() => this.api.flush());
  }

  async connectProducer(name: string): Promise<MessagePort> {
    const { port1, port2 } = new MessageChannel();
    await this.call(() => this.api.attachProducer(name, transfer(port2, [port2])));
    return port1;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.closingWrites = true;
    try {
      await this.api.close();
    } finally {
      this.dataPort.close();
      await this.worker.terminate();
    }
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    this.dataPort = port1;
    this.worker = spawnWorker('writer', { settings: this.settings, mainPort: port2, logLevel: getLogLevel() }, { transferList: [port2], name: 'writer' });
    this.api = wrap<WriterApi>(this.worker);
    this.ready = new Promise<void>((resolve, reject) => {
      // The worker port also carries comlink replies (no `t`); those belong to comlink.
      const onMessage = (msg: MainInbound | { t: 'ready' } | { t: 'open_failed'; message: string } | { t?: undefined }) => {
        if (msg.t === 'committed' || msg.t === 'commit_failed') this.handleWriterMessage(msg);
        else if (msg.t === 'ready') resolve();
        else if (msg.t === 'open_failed') reject(new GatewayError('store_failed', msg.message));
      };
      this.worker.on('message', onMessage);
    });
    this.ready.catch(() => undefined);
    this.worker.on('error', (err) => log.error('writer thread failed', { error: err }));
    this.worker.on('exit', (code) => {
      const err = new GatewayError(this.closing ? 'shutting_down' : 'store_failed', `writer thread exited (code ${code})`);
      for (const reject of this.inFlightCalls) reject(err);
      this.inFlightCalls.clear();
      this.onExit(code);
    });
  }

  private onExit(code: number): void {
    if (this.closing) return;
    const err = new GatewayError('store_failed', `writer thread exited (code ${code})`);
    this.failAllPending(err);
    for (const listener of this.lostListeners) listener();
    if (this.restarts >= MAX_WRITER_RESTARTS) {
      log.error('writer thread keeps dying; not restarting it again', { restarts: this.restarts });
      return;
    }
    this.restarts++;
    log.error('writer thread exited; repairing the lock and restarting it', { code, restart: this.restarts });
    try {
      recoverStaleLock(this.settings.dbPath);
      this.start();
      this.ready.then(() => this.restartListeners.forEach((l) => l())).catch((e) => log.error('writer restart failed', { error: e }));
    } catch (e) {
      log.error('writer restart failed', { error: e });
    }
  }

  private async call<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.closing) throw new GatewayError('shutting_down', 'store is closing');
    await this.ready;
    return new Promise<T>((resolve, reject) => {
      this.inFlightCalls.add(reject);
      Promise.resolve()
        .then(fn)
        .then(resolve, reject)
        .finally(() => this.inFlightCalls.delete(reject));
    });
  }

  /** Test hook: kills the writer thread as a crash would (the store restarts it). */
  async crashWriterForTest(): Promise<void> {
    await this.worker.terminate();
  }
}
