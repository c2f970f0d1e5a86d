import type { Labels, PrometheusText } from '../metrics/prometheus-text.js';
import type { IngestWorkerStats } from '../../ingest/contract.js';
import { seriesViews, type IngestSnapshot, type SeriesView } from './ingest-snapshot.js';

/** The supervisor's Prometheus lines for `/metrics` (docs/operations.md "Live ingest"). */
const P = 'kline_gateway_ingest_';

export function renderIngestMetrics(out: PrometheusText, snap: IngestSnapshot): void {
  const views = seriesViews(snap);
  const perSeries = (pick: (v: SeriesView) => number | null): Array<[Labels, number]> => {
    const samples: Array<[Labels, number]> = [];
    for (const [seriesId, v] of views) {
      const value = pick(v);
      if (value !== null) samples.push([{ series_id: seriesId }, value]);
    }
    return samples;
  };
  out
    .metric(
      `${P}frames_total`,
      'counter',
      'Kline frames received per series (rate() = ingest rate).',
      perSeries((v) => v.stats.frames),
    )
    .metric(
      `${P}closed_total`,
      'counter',
      'Closed kline frames received per series.',
      perSeries((v) => v.stats.closed),
    )
    .metric(
      `${P}last_closed_time_seconds`,
      'gauge',
      'Newest closed candle_time known per series.',
      perSeries((v) => v.stats.lastClosedTime),
    )
    .metric(
      `${P}lag_seconds`,
      'gauge',
      "Seconds between the newest closed bar's end and exchange time, per series.",
      perSeries((v) => v.lagS),
    )
    .metric(
      `${P}close_lag_ms`,
      'gauge',
      'How late the exchange sent the last closed frame after the bar ended (ms).',
      perSeries((v) => v.stats.closeLagMs),
    )
    .metric(
      `${P}reconnects_total`,
      'counter',
      "Reconnects of the series' connection.",
      perSeries((v) => v.stats.reconnects),
    )
    .metric(
      `${P}missing_bars_total`,
      'counter',
      'Bars found missing (holes) per series.',
      perSeries((v) => v.stats.missingBars),
    )
    .metric(
      `${P}gap_fills_total`,
      'counter',
      'REST gap fill attempts per series.',
      perSeries((v) => v.stats.gapFills),
    )
    .metric(
      `${P}gap_filled_candles_total`,
      'counter',
      'Candles fetched by REST gap fill per series.',
      perSeries((v) => v.stats.gapFilledCandles),
    )
    .metric(
      `${P}gap_fill_errors_total`,
      'counter',
      'REST gap fill attempts that failed per series.',
      perSeries((v) => v.stats.gapFillErrors),
    )
    .metric(
      `${P}unfilled_bars_total`,
      'counter',
      'Missing bars REST could not fill (subscribers got a gap) per series.',
      perSeries((v) => v.stats.unfilledBars),
    )
    .metric(
      `${P}held_candles`,
      'gauge',
      'Closed candles held behind a hole being filled, per series.',
      perSeries((v) => v.stats.held),
    )
    .metric(
      `${P}hold_bound_hits_total`,
      'counter',
      'Holds released at their bound before the fill finished, per series.',
      perSeries((v) => v.stats.holdBoundHits),
    )
    .metric(
      `${P}forming_emitted_total`,
      'counter',
      'Forming candles sent to the hub after the throttle, per series.',
      perSeries((v) => v.stats.formingEmitted),
    );

  out
    .metric(
      `${P}job_refcount`,
      'gauge',
      'WS subscriptions holding each job.',
      snap.entries.map((e) => [{ series_id: e.seriesId, source: e.source }, e.refcount]),
    )
    .metric(
      `${P}job_running`,
      'gauge',
      '1 when the job runs in its worker.',
      snap.entries.map((e) => [{ series_id: e.seriesId }, e.running ? 1 : 0]),
    )
    .metric(
      `${P}job_crashes_total`,
      'counter',
      'Times the worker of a job died under it.',
      snap.entries.map((e) => [{ series_id: e.seriesId }, e.crashes]),
    )
    .single(`${P}ondemand_jobs`, 'gauge', 'On-demand jobs (running or idle within their TTL).', snap.entries.filter((e) => e.source === 'ondemand').length)
    .single(`${P}ondemand_refused_total`, 'counter', 'Subscribes refused with capacity (ONDEMAND_MAX_JOBS).', snap.refused)
    .single(`${P}ondemand_evictions_total`, 'counter', 'Idle on-demand jobs evicted to make room.', snap.evictions)
    .single(`${P}workers_up`, 'gauge', 'Ingest worker threads running.', snap.workers.filter((w) => w.alive).length);

  const perWorker = (pick: (s: IngestWorkerStats) => number): Array<[Labels, number]> =>
    snap.workers.filter((w) => w.stats).map((w) => [{ worker: w.index }, pick(w.stats!)]);
  const perMarket = (pick: (s: IngestWorkerStats, m: 'spot' | 'futures') => number): Array<[Labels, number]> =>
    snap.workers
      .filter((w) => w.stats)
      .flatMap((w) => (['spot', 'futures'] as const).map((m): [Labels, number] => [{ worker: w.index, market: m }, pick(w.stats!, m)]));
  const conns = (s: IngestWorkerStats, m: 'spot' | 'futures') => s.connections.find((c) => c.market === m)?.connections ?? [];
  out
    .metric(
      `${P}worker_crashes_total`,
      'counter',
      'Times each ingest worker thread died.',
      snap.workers.map((w) => [{ worker: w.index }, w.crashes]),
    )
    .metric(
      `${P}worker_busy_seconds_total`,
      'counter',
      "Time each ingest worker's event loop was busy (rate() = cores used; per frame = CPU cost of a frame).",
      perWorker((s) => s.eventLoop.activeMs / 1000),
    )
    .metric(
      `${P}worker_cpu_seconds_total`,
      'counter',
      'CPU time of each ingest worker thread (Linux): busy seconds without the waits for a core.',
      snap.workers.filter((w) => typeof w.stats?.threadCpuSeconds === 'number').map((w): [Labels, number] => [{ worker: w.index }, w.stats!.threadCpuSeconds!]),
    )
    .metric(
      `${P}batcher_pending_candles`,
      'gauge',
      'Closed candles waiting for a free in-flight slot toward the writer.',
      perWorker((s) => s.batcher.pendingCandles),
    )
    .metric(
      `${P}batcher_batches_sent_total`,
      'counter',
      'Closed batches posted to the writer (low load: one per socket read; busy: up to BINANCE_WS_BATCH_MAX candles each).',
      perWorker((s) => s.batcher.batchesSent),
    )
    .metric(
      `${P}batcher_full_total`,
      'counter',
      'Times every in-flight slot toward the writer was taken.',
      perWorker((s) => s.batcher.fullEvents),
    )
    .metric(
      `${P}batcher_overflowed_total`,
      'counter',
      'Closed candles dropped at the batcher bound (refetched from REST).',
      perWorker((s) => s.batcher.overflowed),
    )
    .metric(
      `${P}older_pages_ahead_total`,
      'counter',
      "Tail coverage's older REST pages the worker fetched as soon as the newest page was scanned: fetched, claimed by the main thread, dropped unclaimed.",
      snap.workers
        .filter((w) => w.stats)
        .flatMap((w) =>
          (['fetched', 'claimed', 'dropped'] as const).map((o): [Labels, number] => [{ worker: w.index, outcome: o }, w.stats!.olderPagesAhead[o]]),
        ),
    )
    .metric(
      `${P}writer_unacked_batches`,
      'gauge',
      'Batches sent to the writer and not yet acked.',
      perWorker((s) => s.link.unacked),
    )
    .metric(
      `${P}stream_connections`,
      'gauge',
      'Binance WebSocket connections.',
      perMarket((s, m) => conns(s, m).length),
    )
    .metric(
      `${P}stream_reconnects_total`,
      'counter',
      'Reconnects after a connection was lost.',
      perMarket((s, m) => sum(conns(s, m).map((c) => c.reconnects))),
    )
    .metric(
      `${P}stream_rotations_total`,
      'counter',
      'Make-before-break rotations (max age, serverShutdown).',
      perMarket((s, m) => sum(conns(s, m).map((c) => c.rotations))),
    )
    .metric(
      `${P}stream_silence_kills_total`,
      'counter',
      'Connections replaced by the silence watchdog.',
      perMarket((s, m) => sum(conns(s, m).map((c) => c.silenceKills))),
    )
    .metric(
      `${P}rest_requests_total`,
      'counter',
      'Binance REST requests (gap fill, backfill).',
      perMarket((s, m) => s.rest[m].requests),
    )
    .metric(
      `${P}rest_rate_limited_total`,
      'counter',
      'REST answers 429 (Retry-After honoured).',
      perMarket((s, m) => s.rest[m].rateLimited),
    )
    .metric(
      `${P}rest_banned_total`,
      'counter',
      'REST answers 418 (IP banned).',
      perMarket((s, m) => s.rest[m].banned),
    );
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
