import type { IngestState } from '../server/routes/ops-routes.js';
import { seriesViews, type IngestSnapshot } from './ingest-snapshot.js';

const seconds = (ms: number | null): number | null => (ms === null ? null : Math.round(ms) / 1000);

/** `GET /api/market/debug/ingest_state` (contract §2): snake_case, times in Unix seconds. */
export function ingestState(snap: IngestSnapshot): IngestState {
  const views = seriesViews(snap);
  const jobs = snap.entries.map((e) => {
    const v = views.get(e.seriesId);
    const s = v?.stats;
    return {
      series_id: e.seriesId,
      source: e.source,
      refcount: e.refcount,
      last_zero_at: seconds(e.lastZeroAt),
      started_at: seconds(e.startedAt),
      crashes: e.crashes,
      last_crash_at: seconds(e.lastCrashAt),
      running: e.running,
      worker: e.worker,
      frames: s?.frames ?? 0,
      frames_per_s: s ? Math.round(s.framesPerSecond * 100) / 100 : 0,
      closed: s?.closed ?? 0,
      last_closed_time: s?.lastClosedTime ?? null,
      lag_s: v?.lagS ?? null,
      close_lag_ms: s?.closeLagMs ?? null,
      reconnects: s?.reconnects ?? 0,
      gaps: s?.gaps ?? 0,
      missing_bars: s?.missingBars ?? 0,
      gap_fills: s?.gapFills ?? 0,
      gap_filled_candles: s?.gapFilledCandles ?? 0,
      gap_fill_errors: s?.gapFillErrors ?? 0,
      holds: s?.holds ?? 0,
      held: s?.held ?? 0,
      held_total: s?.heldTotal ?? 0,
      hold_bound_hits: s?.holdBoundHits ?? 0,
      unfilled_holes: s?.unfilledHoles ?? 0,
      unfilled_bars: s?.unfilledBars ?? 0,
      forming_emitted: s?.formingEmitted ?? 0,
      forming_dropped: s?.formingDropped ?? 0,
    };
  });
  const c = snap.config;
  return {
    jobs,
    whitelist_series_ids: snap.whitelist,
    whitelist_enabled: c.enableWhitelistIngest,
    ondemand_enabled: c.enableOndemandIngest,
    ondemand_idle_ttl_s: c.ondemandIdleTtlS,
    ondemand_max_jobs: c.ondemandMaxJobs,
    ondemand_jobs: snap.entries.filter((e) => e.source === 'ondemand').length,
    ondemand_refused: snap.refused,
    ondemand_evictions: snap.evictions,
    workers: snap.workers.map((w) => ({
      index: w.index,
      alive: w.alive,
      thread_id: w.threadId,
      crashes: w.crashes,
      last_crash_at: seconds(w.lastCrashAt),
      jobs: w.stats?.series.length ?? 0,
      batcher: w.stats?.batcher ?? null,
      writer_link: w.stats?.link ?? null,
      gap_fill_pending: w.stats?.gapFillPending ?? null,
      rest: w.stats ? { spot: w.stats.rest.spot, futures: w.stats.rest.futures } : null,
      connections: (w.stats?.connections ?? []).flatMap((m) =>
        m.connections.map((conn) => ({
          market: m.market,
          streams: conn.streams,
          connected: conn.connected,
          connects: conn.connects,
          reconnects: conn.reconnects,
          rotations: conn.rotations,
          silence_kills: conn.silenceKills,
          shutdown_notices: conn.shutdownNotices,
          duplicates_dropped: conn.duplicatesDropped,
          klines: conn.klines,
          recent_backoff_ms: conn.recentBackoffMs,
        })),
      ),
    })),
  };
}
