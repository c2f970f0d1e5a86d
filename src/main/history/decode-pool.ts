import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { describeError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { workerEntry } from '../threads/worker-entry.js';
import {
  failedImport,
  failedResult,
  type CandleDecoder,
  type DecodeResult,
  type DecodeTask,
  type ImportFileResult,
  type ImportRunner,
  type ImportTask,
} from '../../decode/contract.js';

export interface DecodePoolOptions {
  /**
   * Decode threads. Default: half the cores (at least 1), so a bulk import leaves the other half
   * to live ingest, the writer and HTTP (architecture.md: import must not stall them).
   */
  readonly threads?: number;
  /** Tasks waiting for a thread before `decode` answers `overloaded`. */
  readonly maxQueue?: number;
  /** An idle thread exits after this long; the next task starts a new one (~100 ms). */
  readonly idleTimeoutMs?: number;
  /** Start the threads now rather than on the first task (a command about to use them). */
  readonly startNow?: boolean;
}

export interface DecodePool extends CandleDecoder, ImportRunner {
  readonly threads: number;
  /** Tasks waiting for a thread right now. */
  readonly queued: number;
  /** Stops the threads; tasks still queued or running resolve with `worker_failed`. */
  close(): Promise<void>;
}

/** Bound of the wait queue: a datadir import queues one task per file, thousands at most. */
export const DEFAULT_MAX_QUEUE = 10_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

const log = createLogger('history.decode-pool');

/**
 * Decodes candle files on a piscina pool running workers/history-decode. Results come back with
 * their candle buffer transferred, not copied. Like the in-thread decoder, `decode` never rejects.
 */
export function createDecodePool(options: DecodePoolOptions = {}): DecodePool {
  const threads = options.threads ?? Math.max(1, Math.floor(availableParallelism() / 2));
  const maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
  const entry = workerEntry('history-decode');
  const pool = new Piscina({
    filename: entry.filename,
    workerData: entry.workerData,
    minThreads: options.startNow ? threads : 0,
    maxThreads: threads,
    maxQueue,
    idleTimeout: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
  });
  log.info('decode pool started', { threads, maxQueue });
  let closed = false;

  return {
    threads,
    get queued() {
      return pool.queueSize;
    },
    async decode(task: DecodeTask): Promise<DecodeResult> {
      if (closed) return failedResult('worker_failed', `${task.path}: decode pool is closed`);
      if (pool.queueSize >= maxQueue) {
        log.warn('decode queue full', { maxQueue, path: task.path });
        return failedResult('overloaded', `${task.path}: decode queue full (${maxQueue} waiting)`);
      }
      try {
        return (await pool.run(task)) as DecodeResult;
      } catch (err) {
        // Readers never throw, so this is the thread itself (out of memory, killed) or close().
        if (!closed) log.error('decode worker failed', { path: task.path, error: err });
        return failedResult('worker_failed', `${task.path}: ${describeError(err)}`);
      }
    },
    async importFile(task: ImportTask): Promise<ImportFileResult> {
      const failed = (message: string): ImportFileResult =>
        failedImport(task.seriesId, task.path, { code: 'worker_failed', message: `${task.path}: ${message}` });
      if (closed) return failed('decode pool is closed');
      if (pool.queueSize >= maxQueue) return failed(`decode queue full (${maxQueue} waiting)`);
      const ports = task.progress ? [task.port, task.progress] : [task.port];
      try {
        return (await pool.run(task, { transferList: ports })) as ImportFileResult;
      } catch (err) {
        // runImportTask never throws: the thread died or the pool was closed mid-import. Rows
        // acked before that are committed; the caller's flush and count tell how many.
        if (!closed) log.error('import worker failed', { path: task.path, error: err });
        return failed(describeError(err));
      }
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.destroy();
    },
  };
}
