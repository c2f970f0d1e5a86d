import type { Config } from '../config/settings.js';
import type { LiveMarket, SeriesId } from '../../domain/series-id.js';
import { GatewayError } from '../../shared/errors.js';
import type { DemandGrant, IngestDemand } from '../hub/client-session.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import type { PrometheusText } from '../metrics/prometheus-text.js';
import type { IngestState } from '../server/routes/ops-routes.js';
import { renderIngestMetrics } from './ingest-metrics.js';
import { takeIngestSnapshot, type IngestSnapshot } from './ingest-snapshot.js';
import { ingestState } from './ingest-state-view.js';
import type { BeforeJobStart, IngestPlugin, SeriesIngestView } from './ingest-plugin.js';
import type { ExchangeKlines, FetchedKlines, FetchedLatest, OlderPagesAhead, StoredHead } from '../holes/exchange-klines.js';
import { followImports, type HistoryHooks } from '../holes/import-seam.js';
import type { IngestWorkerClient, ProducerStore } from './ingest-worker-client.js';
import { IdleSweeper } from './idle-sweeper.js';
import { JobRunner } from './job-runner.js';
import { JobTable, type JobSource } from './job-table.js';
import { streamable } from './worker-assignment.js';

const log = createLogger('supervisor');

export interface IngestSupervisorOptions {
  readonly config: Config;
  readonly whitelist: readonly string[];
  readonly store: ProducerStore;
  /** The worker threads' clients, not started (worker-assignment.ts `ingestWorkerClients`). */
  readonly workers: readonly IngestWorkerClient[];
  readonly beforeJobStart?: BeforeJobStart;
  /** The history bootstrap: imports behind a running job are filled up to it from REST. */
  readonly history?: Pick<HistoryHooks, 'onBootstrapped'>;
  /** The backfill service: the supervisor registers itself as its exchange before any job starts. */
  readonly backfill?: { connectExchange(exchange: ExchangeKlines): void };
  /** Drives the idle TTL (tests pass a ManualClock). */
  readonly clock?: Clock;
  /**
   * Whether the exchange lists a symbol (the market list's cached exchangeInfo): asked before an
   * on-demand job starts, so made-up symbols start nothing upstream. Rejects when the list cannot
   * be had; the job then starts anyway (tail coverage still refuses a symbol Binance answers -1121).
   */
  readonly knownSymbol?: (market: LiveMarket, symbol: string) => Promise<boolean>;
  /**
   * Jobs follow cluster leases (src/main/cluster/): whitelisted series are not pinned at start;
   * `hold` / `drop` start and stop jobs as this node takes and gives up series.
   */
  readonly leased?: boolean;
}

/**
 * The ingest supervisor (contract §4), on the main thread. It owns N ingest worker threads and
 * decides which series run where: a series is pinned to the worker chosen by its stream (so
 * aliases like BTC/USDT and BTC/USDT:USDT share a connection and per-series order holds);
 * whitelist series are pinned jobs; on-demand jobs are refcounted by WS subscribes (JobTable)
 * and stopped `ONDEMAND_IDLE_TTL_S` after the last release. The JobRunner (job-runner.ts) carries
 * these decisions into the workers, in call order per series. A crashed worker is restarted by its
 * client; its jobs that are still wanted (pinned, or refcount > 0) start again from the store
 * head, so the REST gap fill covers the crash.
 */
export class IngestSupervisor implements IngestPlugin, ExchangeKlines {
  readonly demand: IngestDemand = { acquire: (s, left) => this.acquire(s, left), release: (s) => this.release(s) };
  private readonly table: JobTable;
  private readonly workers: readonly IngestWorkerClient[];
  private readonly runner: JobRunner;
  private readonly idle: IdleSweeper;
  private readonly clock: Clock;
  private stopping: Promise<void> | null = null;

  private constructor(private readonly opts: IngestSupervisorOptions) {
    this.clock = opts.clock ?? systemClock;
    this.table = new JobTable(opts.config.ondemandMaxJobs);
    const idleTtlMs = opts.config.ondemandIdleTtlS * 1000;
    this.idle = new IdleSweeper(
      this.clock,
      () => this.table.nextExpiry(idleTtlMs),
      (now) => {
        for (const entry of this.table.expired(now, idleTtlMs)) {
          log.info('on-demand job idle for its TTL; stopping it', { seriesId: entry.seriesId, idleTtlS: opts.config.ondemandIdleTtlS });
          this.runner.halt(entry.seriesId);
        }
      },
    );
    this.workers = opts.workers;
    this.runner = new JobRunner({
      table: this.table,
      workers: this.workers,
      store: opts.store,
      beforeJobStart: opts.beforeJobStart,
      clock: this.clock,
      stopping: () => this.stopping !== null,
    });
    opts.backfill?.connectExchange(this);
    if (opts.history)
      followImports(
        opts.history,
        opts.store,
        (id) => this.runner.isLive(id),
        (id, from, to) => this.workerOf(id).fill(id, from, to),
      );
  }

  /** Spawns the workers and starts the whitelist jobs (in the background: bootstrap may take a while). */
  static async start(opts: IngestSupervisorOptions): Promise<IngestSupervisor> {
    const supervisor = new IngestSupervisor(opts);
    // A worker that fails to start is retried by its client; readiness says it is down meanwhile.
    await Promise.all(supervisor.workers.map((w) => w.start().catch((err) => log.error('ingest worker failed to start', { worker: w.index, error: err }))));
    if (opts.config.enableWhitelistIngest && !opts.leased) {
      for (const seriesId of opts.whitelist) {
        if (!streamable(seriesId)) {
          log.warn('whitelisted series cannot be ingested from Binance; serving it without a job', { seriesId });
          continue;
        }
        const { entry, created } = supervisor.table.pin(seriesId);
        if (created) void supervisor.runner.launch(entry);
      }
    }
    log.info('ingest supervisor started', {
      workers: supervisor.workers.length,
      whitelistJobs: supervisor.table.entries().length,
      ondemand: opts.config.enableOndemandIngest,
    });
    return supervisor;
  }

  /** The worker threads (tests terminate one to prove the restart). */
  get threads(): readonly IngestWorkerClient[] {
    return this.workers;
  }

  /** A WS subscribe (contract §3 "ask the supervisor"); false = at capacity. */
  async acquire(series: SeriesId, ondemandLeft = Number.POSITIVE_INFINITY): Promise<DemandGrant> {
    const id = series.raw;
    // Another exchange or market, or an interval Binance lacks: served from the store, no job.
    if (this.stopping || !streamable(id)) return 'served';
    const existing = this.table.get(id);
    if (!existing && !this.opts.config.enableOndemandIngest) return 'served';
    const pinned = existing?.source === 'whitelist';
    if (!pinned && ondemandLeft <= 0) return 'connection_limit';
    if (!existing) await this.checkListed(series);
    const decision = this.table.acquire(id);
    if (decision.kind === 'refused') {
      log.warn('on-demand ingest at capacity; subscribe refused', { seriesId: id, maxJobs: this.opts.config.ondemandMaxJobs });
      return 'capacity';
    }
    if (decision.kind === 'start') {
      if (decision.evict) {
        log.info('on-demand ingest at capacity; evicting the longest idle job', { seriesId: decision.evict.seriesId, for: id });
        this.runner.halt(decision.evict.seriesId);
      }
      void this.runner.launch(decision.entry);
    }
    // The subscriber's catch-up then sees what the bootstrap imported.
    await this.runner.settled(id);
    return decision.entry.source === 'whitelist' ? 'served' : 'ondemand';
  }

  /** Rejects with `unknown_symbol` when the exchange's symbol list lacks the series' symbol. */
  private async checkListed(series: SeriesId): Promise<void> {
    if (!this.opts.knownSymbol || (series.market !== 'spot' && series.market !== 'futures')) return;
    let listed: boolean;
    try {
      listed = await this.opts.knownSymbol(series.market, series.symbol);
    } catch (err) {
      log.warn('symbol list unavailable; starting the job without checking the symbol', { seriesId: series.raw, error: err });
      return;
    }
    if (!listed) throw new GatewayError('unknown_symbol', `unknown symbol: ${series.symbol} is not listed on binance ${series.market}`);
  }

  /** This node took the series' cluster lease: run its job (tail coverage first). Resolves once started. */
  hold(seriesId: string, source: JobSource): Promise<void> {
    const { entry, created } = this.table.hold(seriesId, source);
    if (created) void this.runner.launch(entry);
    return this.runner.settled(seriesId);
  }

  /** This node gave up (or lost) the series' lease: stop its job, flushing what it batched. */
  drop(seriesId: string): void {
    if (this.table.get(seriesId)) this.runner.halt(seriesId);
  }

  /** Whether `id` can be ingested from Binance at all (else it is served from the store only). */
  knownListed(series: SeriesId): Promise<void> {
    return this.checkListed(series);
  }

  release(series: SeriesId): void {
    if (this.table.release(series.raw, this.clock.now())) this.idle.arm();
  }

  /** The backfill service's exchange (src/main/holes/): the series' worker asks REST. */
  fetchClosed(seriesId: string, from: number, to: number, json = false, aheadId?: number): Promise<FetchedKlines> {
    return this.workerOf(seriesId).fetchClosed(seriesId, from, to, json, aheadId);
  }

  fetchLatest(seriesId: string, count: number, json = false, ahead?: OlderPagesAhead): Promise<FetchedLatest> {
    return this.workerOf(seriesId).fetchLatest(seriesId, count, json, ahead);
  }

  tailStoredHead(seriesId: string, aheadId: number, head: StoredHead): void {
    // A worker that cannot be asked (restarting) fetches nothing ahead: the pages are asked for as before.
    this.workerOf(seriesId)
      .tailStoredHead(seriesId, aheadId, head)
      .catch(() => undefined);
  }

  async seriesStats(seriesId: string): Promise<SeriesIngestView | null> {
    if (!streamable(seriesId)) return null;
    const worker = this.workerOf(seriesId);
    const stats = worker.isAlive ? await worker.stats().catch(() => null) : null;
    if (!stats) return null;
    return { job: stats.series.find((s) => s.seriesId === seriesId) ?? null, exchangeOffsetMs: stats.exchangeOffsetMs };
  }

  async state(): Promise<IngestState> {
    return ingestState(await this.snapshot());
  }

  async metrics(out: PrometheusText): Promise<void> {
    renderIngestMetrics(out, await this.snapshot());
  }

  notReadyReasons(): string[] {
    return this.workers.filter((w) => !w.isAlive).map((w) => `ingest worker ${w.index} is down`);
  }

  /** Shutdown step 2 (architecture.md): jobs stop, their batches are flushed and acked. */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      this.idle.close();
      await Promise.all(this.workers.map((w) => w.close()));
      this.runner.forgetAll();
    })());
  }

  private snapshot(): Promise<IngestSnapshot> {
    return takeIngestSnapshot(this.opts.config, this.opts.whitelist, this.table, this.workers, (id) => this.workerOf(id));
  }

  private workerOf(seriesId: string): IngestWorkerClient {
    return this.runner.workerOf(seriesId);
  }
}
