import type { Clock } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import { runBeforeJobStart, type BeforeJobStart } from './ingest-plugin.js';
import type { IngestWorkerClient, ProducerStore } from './ingest-worker-client.js';
import { JobTable, type JobEntry } from './job-table.js';
import { KeyedSerial } from './keyed-serial.js';
import { workerIndexOf } from './worker-assignment.js';

const log = createLogger('supervisor');

export interface JobRunnerOptions {
  /** The supervisor's table: what should run. The runner marks entries running or crashed. */
  readonly table: JobTable;
  readonly workers: readonly IngestWorkerClient[];
  readonly store: Pick<ProducerStore, 'head' | 'onRestart'>;
  readonly beforeJobStart?: BeforeJobStart;
  readonly clock: Clock;
  /** True once the supervisor is stopping: nothing starts from then on. */
  readonly stopping: () => boolean;
}

/**
 * Carries the supervisor's decisions into the worker threads. It starts a table entry's job in the
 * worker its series is pinned to (bootstrap hook, store head, then the worker) and stops it; start
 * and stop of one series reach the worker in call order (KeyedSerial). It also holds the restart
 * policy: a worker that goes down loses its jobs (idle on-demand ones are forgotten, contract §4);
 * when it is back, or the writer restarted, the jobs still wanted start again from the store head,
 * so the REST gap fill covers the outage.
 */
export class JobRunner {
  /** Series started in a worker, as far as we know. */
  private readonly live = new Set<string>();
  /** Per series: its start/stop operations, chained so they reach the worker in order. */
  private readonly ops = new KeyedSerial((seriesId, err) => log.error('ingest job operation failed', { seriesId, error: err }));

  constructor(private readonly opts: JobRunnerOptions) {
    for (const w of opts.workers) {
      w.onDown((i) => this.onWorkerDown(i));
      w.onUp((i) => this.onWorkerUp(i));
    }
    opts.store.onRestart?.(() => {
      log.warn('writer restarted; handing every ingest worker a new port (unacked batches are re-sent)');
      for (const w of opts.workers)
        w.reconnectWriter().catch((err) => log.error('could not reconnect an ingest worker to the writer', { worker: w.index, error: err }));
      // A start that failed while the writer was gone (its store head could not be read) goes again.
      for (const w of opts.workers) if (w.isAlive) this.onWorkerUp(w.index);
    });
  }

  /** Whether the series' job runs in its worker, as far as we know. */
  isLive(seriesId: string): boolean {
    return this.live.has(seriesId);
  }

  /** Resolves when every start and stop asked for the series so far has reached its worker. */
  settled(seriesId: string): Promise<void> {
    return this.ops.settled(seriesId);
  }

  /** Starts an entry's job in its worker: bootstrap hook, store head, then the worker. */
  launch(entry: JobEntry): Promise<void> {
    const { table, beforeJobStart, store, clock, stopping } = this.opts;
    const id = entry.seriesId;
    const current = () => table.get(id) === entry && !stopping();
    return this.ops.run(id, async () => {
      if (!current()) return;
      if (beforeJobStart && !(await runBeforeJobStart(beforeJobStart, id))) return;
      const worker = this.workerOf(id);
      // A worker that is down starts its jobs when it is back (onWorkerUp).
      if (!current() || !worker.isAlive) return;
      const head = await store.head(id);
      if (!current()) return;
      await worker.startJob(id, head);
      this.live.add(id);
      entry.running = true;
      entry.startedAt = clock.now();
      log.info('ingest job started', { seriesId: id, source: entry.source, worker: worker.index, head });
    });
  }

  /** Takes the series out of the table and stops its job. */
  halt(seriesId: string): void {
    this.opts.table.remove(seriesId);
    void this.ops.run(seriesId, async () => {
      if (!this.live.delete(seriesId)) return;
      await this.workerOf(seriesId).stopJob(seriesId);
      log.info('ingest job stopped', { seriesId });
    });
  }

  /** After the workers closed at shutdown: no job runs anywhere. */
  forgetAll(): void {
    this.live.clear();
  }

  /** The worker a series is pinned to (worker-assignment.ts). */
  workerOf(seriesId: string): IngestWorkerClient {
    const { workers } = this.opts;
    return workers[workerIndexOf(seriesId, workers.length)]!;
  }

  private onWorkerDown(index: number): void {
    const { table, clock } = this.opts;
    const now = clock.now();
    for (const entry of table.entries()) {
      if (this.workerOf(entry.seriesId).index !== index) continue;
      this.live.delete(entry.seriesId);
      entry.running = false;
      entry.crashes++;
      entry.lastCrashAt = now;
      // An idle on-demand job is not worth a restart (contract §4).
      if (!JobTable.wanted(entry)) table.remove(entry.seriesId);
    }
  }

  private onWorkerUp(index: number): void {
    for (const entry of this.opts.table.entries()) {
      if (this.workerOf(entry.seriesId).index === index && !this.live.has(entry.seriesId) && JobTable.wanted(entry)) {
        log.info('starting ingest job again (after a worker or writer restart)', { seriesId: entry.seriesId, worker: index });
        void this.launch(entry);
      }
    }
  }
}
