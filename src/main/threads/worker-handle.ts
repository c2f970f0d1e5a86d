import type { TransferListItem, Worker } from 'node:worker_threads';
import { Backoff, type BackoffOptions } from '../../shared/backoff.js';
import { wrap, type Remote } from '../../shared/comlink.js';
import { fromWire, GatewayError, type ErrorCode } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { isHandshake } from '../../shared/worker-handshake.js';
import { spawnWorker } from './worker-entry.js';

const log = createLogger('threads');

export interface WorkerRestartPolicy {
  readonly backoff: BackoffOptions;
  /** A thread that lived this long before dying restarts after the shortest delay again. */
  readonly stableAfterMs: number;
  /** Restarts in a row before the handle gives up (default: never). */
  readonly maxRestarts?: number;
  /** Whether a first start that failed is tried again (ingest) or is final (the writer's). */
  readonly retryFirstStart: boolean;
  /** Runs before each restart (the writer repairs its database lock); a throw fails that attempt. */
  readonly before?: () => void;
}

export interface WorkerHandleOptions<Api> {
  /** Thread name in logs and errors, e.g. `writer`, `ingest-0`. */
  readonly name: string;
  /** Entry point in workers/. */
  readonly entry: string;
  /** workerData (and ports to transfer) of each spawn: every thread gets fresh ports. */
  readonly spawnData: () => { data: Record<string, unknown>; transferList?: TransferListItem[] };
  /** Error code of calls that cannot reach the thread (`unavailable`, `store_failed`). */
  readonly downCode: ErrorCode;
  /** Calls made while a restart is under way wait for it instead of failing at once. */
  readonly callsWaitForRestart?: boolean;
  /** Runs after the handshake, before the thread counts as up; a throw fails the start. */
  readonly onStarted?: (call: <T>(fn: (api: Remote<Api>) => Promise<T> | T) => Promise<T>) => Promise<void>;
  /** Tagged messages (`{t: …}`) other than the handshake: the writer's notices. */
  readonly onMessage?: (msg: unknown) => void;
  /** A thread that was up died (called before any restart). */
  readonly onDown?: (code: number) => void;
  /** The thread is up; `restarted` after a crash. */
  readonly onUp?: (restarted: boolean) => void;
  readonly restart: WorkerRestartPolicy;
}

/**
 * One worker thread as the main thread holds it: spawn, ready handshake, comlink calls that fail
 * instead of hanging when the thread dies, restart with backoff, close. The writer client
 * (store/worker-store.ts) and the ingest clients (supervisor/ingest-worker-client.ts) use it.
 *
 * Calls in flight are failed through a set of rejecters cleared when each call settles, never by
 * racing a "died" promise: a pending promise keeps every reaction attached to it, so racing each
 * call against one that settles only at death retained every result for the thread's life.
 */
export class WorkerHandle<Api> {
  crashes = 0;
  lastCrashAt: number | null = null;
  private worker: Worker | undefined;
  private api: Remote<Api> | undefined;
  private up = false;
  private everUp = false;
  private closing = false;
  private gaveUp = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private restartsInARow = 0;
  private readonly backoff: Backoff;
  private readonly inFlight = new Set<(err: Error) => void>();
  private readonly upWaiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>();

  constructor(private readonly opts: WorkerHandleOptions<Api>) {
    this.backoff = new Backoff(opts.restart.backoff);
  }

  get isUp(): boolean {
    return this.up;
  }

  /** The current thread (tests terminate it to prove restarts). */
  get thread(): Worker | undefined {
    return this.worker;
  }

  /** Spawns the thread; resolves once it is up, rejects with its reason when it could not start. */
  start(): Promise<void> {
    return this.launch();
  }

  /** Calls the thread's API; rejects with `downCode` when it is down or dies before answering. */
  async call<T>(fn: (api: Remote<Api>) => Promise<T> | T): Promise<T> {
    if (this.closing) throw new GatewayError('shutting_down', `${this.opts.name} is closing`);
    if (!this.up && this.opts.callsWaitForRestart && this.restarting) await this.whenUp();
    const api = this.api;
    if (!this.up || !api) throw new GatewayError(this.opts.downCode, `${this.opts.name} thread is down`);
    return this.callOn(api, fn);
  }

  /** Stops restarting; `graceful` runs first when the thread is up (bounded), then it ends. */
  async close(graceful?: (api: Remote<Api>) => Promise<void>, timeoutMs = 10_000): Promise<void> {
    if (this.closing) return;
    // From here on no restart, and new calls are refused; the graceful call still runs.
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.failUpWaiters(new GatewayError('shutting_down', `${this.opts.name} is closing`));
    const api = this.up ? this.api : undefined;
    if (graceful && api) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      try {
        const outcome = await Promise.race([this.callOn(api, graceful), timeout]);
        if (outcome === 'timeout') log.warn('thread did not close in time; terminating it', { thread: this.opts.name, timeoutMs });
      } catch (err) {
        log.warn('thread close failed; terminating it', { thread: this.opts.name, error: err });
      } finally {
        clearTimeout(timer);
      }
    }
    this.up = false;
    await this.worker?.terminate();
  }

  private get restarting(): boolean {
    return !this.gaveUp && !this.closing && (this.restartTimer !== undefined || (this.worker !== undefined && !this.up));
  }

  private async launch(): Promise<void> {
    const { data, transferList } = this.opts.spawnData();
    const worker = spawnWorker(this.opts.entry, data, { transferList, name: this.opts.name });
    this.worker = worker;
    this.api = undefined;
    this.startedAt = Date.now();
    worker.on('error', (err) => log.error('thread failed', { thread: this.opts.name, error: err }));
    worker.once('exit', (code) => this.onExit(worker, code));
    try {
      await handshake(worker, this.opts.name, this.opts.downCode, this.opts.onMessage);
      const api = wrap<Api>(worker);
      this.api = api;
      await this.opts.onStarted?.((fn) => this.callOn(api, fn));
      if (this.worker !== worker || this.closing) throw new GatewayError(this.opts.downCode, `${this.opts.name} thread exited during start-up`);
    } catch (err) {
      // Half started (e.g. the writer is down): end it before saying so, so that the caller may
      // repair what the thread held; onExit decides about the next attempt.
      await worker.terminate();
      throw err;
    }
    this.up = true;
    const restarted = this.everUp;
    this.everUp = true;
    for (const w of this.upWaiters) w.resolve();
    this.upWaiters.clear();
    this.opts.onUp?.(restarted);
  }

  private callOn<T>(api: Remote<Api>, fn: (api: Remote<Api>) => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.inFlight.add(reject);
      Promise.resolve()
        .then(() => fn(api))
        .then(resolve, reject)
        .finally(() => this.inFlight.delete(reject));
    });
  }

  private whenUp(): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.upWaiters.add(waiter);
    });
  }

  private failUpWaiters(err: Error): void {
    for (const w of this.upWaiters) w.reject(err);
    this.upWaiters.clear();
  }

  private onExit(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    const wasUp = this.up;
    this.up = false;
    this.api = undefined;
    const err = new GatewayError(this.closing ? 'shutting_down' : this.opts.downCode, `${this.opts.name} thread exited (code ${code})`);
    for (const reject of this.inFlight) reject(err);
    this.inFlight.clear();
    if (this.closing) return;
    if (wasUp) {
      this.crashes++;
      this.lastCrashAt = Date.now();
      this.opts.onDown?.(code);
    }
    if (!this.everUp && !this.opts.restart.retryFirstStart) {
      this.worker = undefined;
      this.failUpWaiters(err);
      return;
    }
    this.scheduleRestart(code);
  }

  private scheduleRestart(code: number): void {
    const policy = this.opts.restart;
    if (Date.now() - this.startedAt >= policy.stableAfterMs) {
      this.backoff.reset();
      this.restartsInARow = 0;
    }
    if (policy.maxRestarts !== undefined && this.restartsInARow >= policy.maxRestarts) {
      this.gaveUp = true;
      log.error('thread keeps dying; not restarting it again', { thread: this.opts.name, restarts: this.restartsInARow });
      this.failUpWaiters(new GatewayError(this.opts.downCode, `${this.opts.name} thread keeps dying; gave up restarting it`));
      return;
    }
    this.restartsInARow++;
    const delayMs = this.backoff.next();
    log.error('thread exited; restarting it', { thread: this.opts.name, code, delayMs, restart: this.restartsInARow });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closing) return;
      try {
        policy.before?.();
      } catch (err) {
        log.error('thread restart failed', { thread: this.opts.name, error: err });
        this.scheduleRestart(code);
        return;
      }
      this.launch().catch((err) => log.error('thread restart failed', { thread: this.opts.name, error: err }));
    }, delayMs);
  }
}

/**
 * Resolves on the thread's `ready`; rejects on `start_failed` (with the thread's coded error), on
 * an uncaught error, or on an exit before either. Messages with a `t` tag that are not part of the
 * handshake go to `onNotice` for the thread's life; comlink replies (untagged) are comlink's.
 */
function handshake(worker: Worker, name: string, downCode: ErrorCode, onNotice?: (msg: unknown) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let pending = true;
    const settle = (outcome: () => void) => {
      if (!pending) return;
      pending = false;
      worker.off('error', onError);
      worker.off('exit', onExit);
      outcome();
    };
    const onError = (err: Error) => settle(() => reject(new GatewayError(downCode, `${name} thread failed at start-up: ${err.message}`, { cause: err })));
    const onExit = (code: number) => settle(() => reject(new GatewayError(downCode, `${name} thread exited during start-up (code ${code})`)));
    worker.on('message', (msg: unknown) => {
      if (isHandshake(msg)) settle(() => (msg.t === 'ready' ? resolve() : reject(fromWire(msg.error))));
      else if (typeof (msg as { t?: unknown } | null)?.t === 'string') onNotice?.(msg);
    });
    worker.once('error', onError);
    worker.once('exit', onExit);
  });
}
