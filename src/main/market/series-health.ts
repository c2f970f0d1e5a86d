import type { BackfillView } from './backfill-status.js';

/** `GET /api/market/health` (trade_canvas's payload, fields in its order). */
export interface SeriesHealth {
  readonly series_id: string;
  readonly timeframe_seconds: number;
  readonly now_time: number;
  readonly expected_latest_closed_time: number;
  readonly head_time: number | null;
  readonly lag_seconds: number | null;
  readonly missing_seconds: number | null;
  readonly missing_candles: number | null;
  readonly status: 'green' | 'yellow' | 'red';
  readonly status_reason: string;
  readonly backfill: BackfillView & { readonly recent: boolean };
}

export interface HealthInput {
  readonly seriesId: string;
  readonly tfSeconds: number;
  /** Unix seconds. */
  readonly nowTime: number;
  /** Newest stored candle_time, or null. */
  readonly head: number | null;
  readonly backfill: BackfillView;
  /** TRADE_CANVAS_KLINE_HEALTH_BACKFILL_RECENT_SECONDS. */
  readonly recentSeconds: number;
}

/** The open time of the newest bar that has closed by `now`: the bar before the one containing it. */
export function expectedLatestClosedTime(now: number, tf: number): number {
  const aligned = Math.floor(now / tf) * tf;
  return aligned >= tf ? aligned - tf : 0;
}

/**
 * The traffic light of a series (trade_canvas health_service.py). First match wins: no head → red
 * `missing_head`; head past the expected latest closed bar → yellow `head_ahead_of_closed_window`;
 * nothing missing → green `up_to_date`; a fill running → yellow `backfill_running`; a fill
 * succeeded within `recentSeconds` → yellow `backfill_recent`; else red `lagging_no_recent_backfill`.
 * Vector (5m, now 960 → expected 600): head 300 → red, 300 s / 1 candle; 600 → green; 900 → yellow.
 */
export function seriesHealth(input: HealthInput): SeriesHealth {
  const { nowTime: now, head, tfSeconds: tf, backfill } = input;
  const expected = expectedLatestClosedTime(now, tf);
  const missingSeconds = head === null ? null : Math.max(0, expected - head);
  const missingCandles = missingSeconds === null ? null : Math.ceil(missingSeconds / tf);
  const recent = backfill.updated_at !== null && now - backfill.updated_at <= Math.max(0, input.recentSeconds);
  let status: SeriesHealth['status'];
  let reason: string;
  if (head === null) [status, reason] = ['red', 'missing_head'];
  else if (head > expected) [status, reason] = ['yellow', 'head_ahead_of_closed_window'];
  else if (missingSeconds === 0) [status, reason] = ['green', 'up_to_date'];
  else if (backfill.state === 'running') [status, reason] = ['yellow', 'backfill_running'];
  else if (backfill.state === 'succeeded' && recent) [status, reason] = ['yellow', 'backfill_recent'];
  else [status, reason] = ['red', 'lagging_no_recent_backfill'];
  const { state, progress_pct, started_at, updated_at, reason: why, note, error, ...missing } = backfill;
  return {
    series_id: input.seriesId,
    timeframe_seconds: tf,
    now_time: now,
    expected_latest_closed_time: expected,
    head_time: head,
    lag_seconds: head === null ? null : Math.max(0, now - head),
    missing_seconds: missingSeconds,
    missing_candles: missingCandles,
    status,
    status_reason: reason,
    backfill: { state, progress_pct, started_at, updated_at, reason: why, note, error, recent, ...missing },
  };
}
