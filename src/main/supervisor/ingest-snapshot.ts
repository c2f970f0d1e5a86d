import type { Config } from '../config/settings.js';
import type { IngestWorkerStats, SeriesJobStats } from '../../ingest/contract.js';
import { parseSeriesId } from '../../domain/series-id.js';
import type { IngestWorkerClient } from './ingest-worker-client.js';
import type { JobEntry, JobTable } from './job-table.js';

/**
 * What the supervisor knows at one moment (its job table, each worker's stats), rendered two
 * ways: `GET /api/market/debug/ingest_state` (ingest-state-view.ts) and Prometheus lines for
 * `/metrics` (ingest-metrics.ts).
 */
export interface IngestSnapshot {
  readonly config: Config;
  readonly whitelist: readonly string[];
  readonly entries: ReadonlyArray<JobEntry & { readonly worker: number }>;
  readonly refused: number;
  readonly evictions: number;
  readonly workers: ReadonlyArray<{
    readonly index: number;
    readonly alive: boolean;
    readonly crashes: number;
    readonly lastCrashAt: number | null;
    readonly threadId: number | null;
    readonly stats: IngestWorkerStats | null;
  }>;
  readonly now: number;
}

export interface SeriesView {
  readonly stats: SeriesJobStats;
  /** Seconds from the newest closed bar's end to the exchange's now. */
  readonly lagS: number | null;
}

/** Each series' job stats from the worker that runs it, with its lag behind the exchange. */
export function seriesViews(snap: IngestSnapshot): Map<string, SeriesView> {
  const out = new Map<string, SeriesView>();
  for (const w of snap.workers) {
    if (!w.stats) continue;
    const exchangeNowS = (snap.now + (w.stats.exchangeOffsetMs ?? 0)) / 1000;
    for (const s of w.stats.series) {
      const tf = parseSeriesId(s.seriesId).tfSeconds;
      const lagS = s.lastClosedTime === null ? null : Math.max(0, Math.round((exchangeNowS - (s.lastClosedTime + tf)) * 1000) / 1000);
      out.set(s.seriesId, { stats: s, lagS });
    }
  }
  return out;
}

/** The supervisor's table and every worker's stats, read now (a worker that is down or does not answer has none). */
export async function takeIngestSnapshot(
  config: Config,
  whitelist: readonly string[],
  table: JobTable,
  workers: readonly IngestWorkerClient[],
  workerOf: (seriesId: string) => IngestWorkerClient,
): Promise<IngestSnapshot> {
  const stats = await Promise.all(workers.map((w) => (w.isAlive ? w.stats().catch(() => null) : null)));
  return {
    config,
    whitelist,
    entries: table.entries().map((e) => ({ ...e, worker: workerOf(e.seriesId).index })),
    refused: table.refused,
    evictions: table.evictions,
    workers: workers.map((w, i) => ({
      index: w.index,
      alive: w.isAlive,
      crashes: w.crashes,
      lastCrashAt: w.lastCrashAt,
      threadId: w.thread?.threadId ?? null,
      stats: stats[i] ?? null,
    })),
    now: Date.now(),
  };
}
