import { CANDLE_STRIDE } from '../../../domain/candle.js';
import { parseSeriesId, type SeriesId } from '../../../domain/series-id.js';
import type { Clock } from '../../../shared/clock.js';
import type { CandleReader } from '../../hub/candle-reader.js';
import type { BackfillStatus } from '../../market/backfill-status.js';
import { seriesHealth } from '../../market/series-health.js';
import type { MarketStore } from '../../store/market-store.js';
import { jsonReply, type Route } from '../http-router.js';
import { optionalInt, required } from './query-params.js';

export interface HealthRouteDeps {
  readonly store: MarketStore;
  readonly reader: CandleReader;
  readonly backfill: BackfillStatus;
  readonly clock: Clock;
  readonly debugApi: () => boolean;
  readonly healthV2: () => boolean;
  readonly recentSeconds: number;
}

const BASE_TF_SECONDS = 60;

/**
 * Series health (issue 12, trade_canvas's health_routes.py and debug_routes.py):
 * `GET /api/market/health` — the traffic light a chart shows, gated like the original (debug API
 * or ENABLE_KLINE_HEALTH_V2); `GET /api/market/debug/series_health` — counts and recent holes of
 * what is stored (debug API, token). `now` is the exchange's time where live ingest knows it
 * (learned from frames), else the gateway clock; `now_time` overrides it.
 */
export function healthRoutes(deps: HealthRouteDeps): Route[] {
  const head = async (seriesId: string) => deps.reader.cache.peek(seriesId)?.head ?? (await deps.store.head(seriesId));
  const nowSeconds = (offsetMs: number | null) => Math.floor((deps.clock.now() + (offsetMs ?? 0)) / 1000);
  return [
    {
      method: 'GET',
      path: '/api/market/health',
      enabled: () => deps.debugApi() || deps.healthV2(),
      async handle({ query }) {
        const series = parseSeriesId(required(query.get('series_id'), 'series_id'));
        const nowTime = optionalInt(query.get('now_time'), 'now_time', 0, Number.MAX_SAFE_INTEGER);
        const [backfill, headTime] = await Promise.all([deps.backfill.of(series.raw), head(series.raw)]);
        return jsonReply(
          200,
          seriesHealth({
            seriesId: series.raw,
            tfSeconds: series.tfSeconds,
            nowTime: nowTime ?? nowSeconds(backfill.exchangeOffsetMs),
            head: headTime,
            backfill: backfill.view,
            recentSeconds: deps.recentSeconds,
          }),
        );
      },
    },
    {
      method: 'GET',
      path: '/api/market/debug/series_health',
      auth: true,
      enabled: deps.debugApi,
      async handle({ query }) {
        const series = parseSeriesId(required(query.get('series_id'), 'series_id'));
        const maxRecentGaps = optionalInt(query.get('max_recent_gaps'), 'max_recent_gaps', 1, 50) ?? 5;
        const buckets = optionalInt(query.get('recent_base_buckets'), 'recent_base_buckets', 1, 48) ?? 8;
        const tf = series.tfSeconds;
        const [summary, backfill] = await Promise.all([deps.store.summary(series.raw, tf, maxRecentGaps), deps.backfill.of(series.raw)]);
        const now = nowSeconds(backfill.exchangeOffsetMs);
        return jsonReply(200, {
          series_id: series.raw,
          timeframe_seconds: tf,
          now_time: now,
          first_time: summary.first,
          head_time: summary.head,
          lag_seconds: summary.head === null ? null : Math.max(0, now - summary.head),
          candle_count: summary.count,
          gap_count: summary.gapCount,
          max_gap_seconds: summary.maxGapSeconds,
          recent_gaps: summary.recentGaps.map((g) => ({
            prev_time: g.prev,
            next_time: g.next,
            delta_seconds: g.next - g.prev,
            missing_candles: Math.max(0, Math.floor((g.next - g.prev) / tf) - 1),
          })),
          base_series_id: baseSeriesId(series),
          base_bucket_completeness: await bucketCompleteness(deps, series, buckets),
        });
      },
    },
  ];
}

/** The series' 1m sibling, from which trade_canvas checks how complete each recent bar is. */
function baseSeriesId(series: SeriesId): string {
  return `${series.exchange}:${series.market}:${series.symbol}:1m`;
}

/** For each of the newest `buckets` bars of a series above 1m: how many of its 1m bars are stored. */
async function bucketCompleteness(deps: HealthRouteDeps, series: SeriesId, buckets: number) {
  const tf = series.tfSeconds;
  if (tf <= BASE_TF_SECONDS) return [];
  const base = baseSeriesId(series);
  const baseHead = await deps.store.head(base);
  if (baseHead === null) return [];
  const perBucket = tf / BASE_TF_SECONDS;
  const end = Math.floor(baseHead / tf) * tf;
  const start = Math.max(0, end - (buckets - 1) * tf);
  const read = await deps.store.between(base, start, end + tf - BASE_TF_SECONDS, buckets * perBucket + 16);
  const counts = new Map<number, number>();
  for (let i = 0; i < read.data.length; i += CANDLE_STRIDE) {
    const bucket = Math.floor(read.data[i]! / tf) * tf;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const out = [];
  for (let open = start; open <= end; open += tf) {
    const have = counts.get(open) ?? 0;
    out.push({ bucket_open_time: open, expected_minutes: perBucket, actual_minutes: have, missing_minutes: Math.max(0, perBucket - have) });
  }
  return out;
}
