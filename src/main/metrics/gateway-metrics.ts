import { parseSeriesId } from '../../domain/series-id.js';
import type { HubStats } from '../hub/market-hub.js';
import type { TailCacheStats } from '../hub/tail-cache.js';
import type { WriterStats } from '../../writer/contract.js';
import type { GatewayLatency } from './latency-metrics.js';
import { METRIC_PREFIX, processMetricsText } from './prom-registry.js';
import { PrometheusText } from './prometheus-text.js';
import type { SeriesActivity } from './series-activity.js';
import type { TopMarketsStreamStats } from '../market/top-markets-streams.js';
import { threadCpuSeconds } from '../../shared/thread-cpu.js';

/** Everything /metrics reads; each part is a snapshot the component already keeps. */
export interface MetricSources {
  readonly httpResponses: ReadonlyMap<string, number>;
  readonly hub: () => HubStats;
  readonly wsClients: () => number;
  readonly cache: () => TailCacheStats;
  readonly writer: () => Promise<WriterStats>;
  readonly writerInFlight: () => number;
  readonly seriesActivity: SeriesActivity;
  /** Market-list SSE streams (`/api/market/top_markets/stream`). */
  readonly marketStreams?: () => TopMarketsStreamStats;
  /** HTTP request duration and commit → publish histograms. */
  readonly latency: GatewayLatency;
  /** Extra metrics of other components (the ingest supervisor). */
  readonly extra?: (out: PrometheusText) => void | Promise<void>;
}

const P = METRIC_PREFIX;

export async function renderMetrics(src: MetricSources, nowMs = Date.now()): Promise<string> {
  const out = new PrometheusText();
  const http: Array<[{ route: string; status: string }, number]> = [];
  for (const [key, n] of src.httpResponses) {
    const [route, status] = key.split(' ');
    http.push([{ route: route!, status: status! }, n]);
  }
  out.metric(`${P}http_responses_total`, 'counter', 'HTTP responses by route and status.', http);

  const hub = src.hub();
  out
    .single(`${P}ws_clients`, 'gauge', 'Open WebSocket connections.', src.wsClients())
    .single(`${P}ws_subscriptions`, 'gauge', 'Active series subscriptions over all connections.', hub.subscriptions)
    .single(`${P}ws_frames_sent_total`, 'counter', 'WebSocket frames sent.', hub.counters.framesSent)
    .single(`${P}ws_bytes_sent_total`, 'counter', 'WebSocket payload bytes sent.', hub.counters.bytesSent)
    .single(`${P}ws_forming_skipped_total`, 'counter', 'Forming updates skipped for slow consumers (drops).', hub.counters.formingSkipped)
    .single(
      `${P}ws_slow_consumer_closes_total`,
      'counter',
      'Sockets closed with 1008 because closed data could not be queued.',
      hub.counters.slowConsumerCloses,
    )
    .single(
      `${P}ws_global_buffer_closes_total`,
      'counter',
      'Of those, sockets closed because all sockets together buffered MARKET_WS_MAX_TOTAL_BUFFERED_BYTES.',
      hub.counters.globalBufferCloses,
    )
    .single(
      `${P}ws_buffered_bytes`,
      'gauge',
      'Bytes waiting in WebSocket send buffers, all sockets (estimate, topic leases and closed sockets not yet freed included).',
      hub.outboundBytes,
    )
    .single(
      `${P}ws_closed_socket_buffered_bytes`,
      'gauge',
      'Of those, bytes of sockets closed with data still buffered, counted until the socket library must have freed them.',
      hub.closedSocketBytes,
    )
    .single(
      `${P}ws_topic_joins_total`,
      'counter',
      'Subscriptions moved onto their native fan-out topic (caught up, socket keeping up).',
      hub.counters.topicJoins,
    )
    .single(
      `${P}ws_topic_leaves_total`,
      'counter',
      'Subscriptions back on their own outbox (behind, unsubscribed, or the budget was tight).',
      hub.counters.topicLeaves,
    )
    .single(`${P}ws_topic_publishes_total`, 'counter', 'Frames published once to a topic (each reaches every member).', hub.counters.topicPublishes)
    .single(`${P}ws_topic_lease_renewals_total`, 'counter', "Topic leases renewed after measuring the members' buffers.", hub.counters.topicRenewals);

  const cache = src.cache();
  out
    .single(`${P}tail_cache_series`, 'gauge', 'Series held in the tail cache.', cache.series)
    .single(`${P}tail_cache_hits_total`, 'counter', 'Reads answered from the tail cache.', cache.hits)
    .single(`${P}tail_cache_misses_total`, 'counter', 'Reads that went to the writer.', cache.misses);

  const w = await src.writer();
  out
    .single(`${P}writer_pending_candles`, 'gauge', 'Candles queued in the writer (queue depth).', w.pendingCandles)
    .single(`${P}writer_in_flight_candles`, 'gauge', 'Candles of main-thread (HTTP) writes not yet answered by the writer.', src.writerInFlight())
    .single(`${P}writer_commits_total`, 'counter', 'Committed transactions (one per drain).', w.commits)
    .single(`${P}writer_committed_rows_total`, 'counter', 'Candle rows committed.', w.committedRows)
    .single(`${P}writer_commit_failures_total`, 'counter', 'Failed commits (batches kept and retried).', w.commitFailures)
    .single(`${P}writer_queue_full_total`, 'counter', 'Times the writer queue was above its bound.', w.queueFullEvents)
    .single(`${P}writer_checkpoints_total`, 'counter', 'SQLite write-ahead log checkpoints (run between drains).', w.checkpoints)
    .single(`${P}writer_checkpoint_seconds_total`, 'counter', 'Time spent in those checkpoints.', w.checkpointMs / 1000)
    .single(
      `${P}writer_checkpoint_failures_total`,
      'counter',
      'Checkpoints that failed (retried after the next drain; the log keeps every commit).',
      w.checkpointFailures,
    )
    .single(`${P}db_write_ms_last`, 'gauge', 'Duration of the last drain transaction (ms).', w.lastDrainMs)
    .single(`${P}db_write_ms_max`, 'gauge', 'Longest drain transaction so far (ms).', w.maxDrainMs)
    .histogram(`${P}writer_drain_rows`, 'Rows written per drain transaction.', w.drainRowsBuckets, w.committedRows);
  // Per-thread CPU (Linux): which thread a load saturates, without the waits for a core that
  // event-loop utilization also counts.
  if (typeof w.threadCpuSeconds === 'number') {
    out.single(`${P}writer_thread_cpu_seconds_total`, 'counter', 'CPU time of the writer thread.', w.threadCpuSeconds);
  }
  const mainCpu = threadCpuSeconds();
  if (mainCpu !== null) out.single(`${P}main_thread_cpu_seconds_total`, 'counter', 'CPU time of the main thread (HTTP, WebSocket fan-out).', mainCpu);
  if (w.pg) {
    out
      .metric(
        `${P}pg_rows_total`,
        'counter',
        'Rows written to PostgreSQL: COPY straight into candles (path=copy, outside the stored range) or through the stage and INSERT … ON CONFLICT (path=upsert).',
        [
          [{ path: 'copy' }, w.pg.appendedRows],
          [{ path: 'upsert' }, w.pg.upsertedRows],
        ],
      )
      .single(
        `${P}pg_stale_range_retries_total`,
        'counter',
        'Drains redone through the upsert path because a cached series range was stale.',
        w.pg.staleRangeRetries,
      )
      .single(`${P}pg_connection_losses_total`, 'counter', "Times the writer's PostgreSQL connection was lost while running.", w.pg.connectionLosses);
  }

  const committed: Array<[{ series_id: string }, number]> = [];
  const heads: Array<[{ series_id: string }, number]> = [];
  const lag: Array<[{ series_id: string }, number]> = [];
  for (const [seriesId, entry] of src.seriesActivity.snapshot()) {
    committed.push([{ series_id: seriesId }, entry.committed]);
    heads.push([{ series_id: seriesId }, entry.head]);
    const tf = parseSeriesId(seriesId).tfSeconds;
    // How far the newest stored bar's close is behind the wall clock.
    lag.push([{ series_id: seriesId }, Math.max(0, nowMs / 1000 - (entry.head + tf))]);
  }
  out
    .metric(`${P}series_committed_candles_total`, 'counter', 'Closed candles committed per series (rate() = ingest rate).', committed)
    .metric(`${P}series_head_time_seconds`, 'gauge', 'Newest stored candle_time per series.', heads)
    .metric(`${P}series_head_lag_seconds`, 'gauge', 'Seconds between the newest stored bar close and now, per series.', lag);

  const streams = src.marketStreams?.();
  if (streams) {
    out
      .single(`${P}market_list_streams`, 'gauge', 'Open market-list SSE streams.', streams.streams)
      .single(`${P}market_list_pollers`, 'gauge', 'Market-list pollers running (one per market and quote asset with clients).', streams.feeds)
      .single(`${P}market_list_streams_refused_total`, 'counter', 'Market-list streams refused at TRADE_CANVAS_MARKET_LIST_MAX_STREAMS.', streams.refused)
      .single(`${P}market_list_polls_total`, 'counter', 'Market-list polls done (one upstream call per poller and interval at most).', streams.polls);
  }

  await src.extra?.(out);

  out.text(await src.latency.text());

  // process_resident_memory_bytes, process_cpu_seconds_total, nodejs_eventloop_lag_* and the
  // rest of Node's standard set come from prom-client; these two are the gateway's own.
  out
    .single(`${P}process_heap_used_bytes`, 'gauge', 'V8 heap in use (main thread).', process.memoryUsage().heapUsed)
    .single(`${P}uptime_seconds`, 'gauge', 'Seconds since the process started.', process.uptime())
    .text(await processMetricsText());
  return out.toString();
}
