import { describe, expect, it } from 'vitest';
import { backfillView, IDLE_BACKFILL, type BackfillView } from '../../../src/main/market/backfill-status.js';
import { expectedLatestClosedTime, seriesHealth } from '../../../src/main/market/series-health.js';

const S = 'binance:futures:BTC/USDT:5m';
const health = (head: number | null, backfill: BackfillView = IDLE_BACKFILL, nowTime = 960) =>
  seriesHealth({ seriesId: S, tfSeconds: 300, nowTime, head, backfill, recentSeconds: 120 });

describe('series health (trade_canvas rules)', () => {
  it('the issue vector: 5m, now 960 → expected 600; head 300 red (300 s, 1 candle), 600 green, 900 yellow', () => {
    expect(expectedLatestClosedTime(960, 300)).toBe(600);
    expect(health(300)).toMatchObject({
      timeframe_seconds: 300,
      now_time: 960,
      expected_latest_closed_time: 600,
      head_time: 300,
      lag_seconds: 660,
      missing_seconds: 300,
      missing_candles: 1,
      status: 'red',
      status_reason: 'lagging_no_recent_backfill',
    });
    expect(health(600)).toMatchObject({ status: 'green', status_reason: 'up_to_date', missing_seconds: 0, missing_candles: 0 });
    expect(health(900)).toMatchObject({ status: 'yellow', status_reason: 'head_ahead_of_closed_window' });
  });

  it('no head: red missing_head, missing fields null', () => {
    expect(health(null)).toMatchObject({
      status: 'red',
      status_reason: 'missing_head',
      head_time: null,
      lag_seconds: null,
      missing_seconds: null,
      missing_candles: null,
    });
  });

  it('lagging while a fill runs: yellow backfill_running; after a recent success: yellow backfill_recent; else red', () => {
    const running = backfillView({ running: { startedAt: 900_000, updatedAt: 950_000, missingBars: 4, fetchedBars: 1 }, last: null }, 300);
    expect(running).toMatchObject({ state: 'running', progress_pct: 25, start_missing_candles: 4, current_missing_candles: 3, current_missing_seconds: 900 });
    expect(health(0, running, 2000)).toMatchObject({ status: 'yellow', status_reason: 'backfill_running' });
    const done = (endedAt: number) =>
      backfillView({ running: null, last: { startedAt: 0, endedAt, missingBars: 4, unfilledBars: 0, outcome: 'filled', error: null } }, 300);
    expect(health(300, done(900_000), 1020)).toMatchObject({
      status: 'yellow',
      status_reason: 'backfill_recent',
      backfill: { state: 'succeeded', recent: true },
    });
    expect(health(300, done(900_000), 1021)).toMatchObject({ status: 'red', status_reason: 'lagging_no_recent_backfill', backfill: { recent: false } });
    const failed = backfillView(
      { running: null, last: { startedAt: 0, endedAt: 950_000, missingBars: 4, unfilledBars: 3, outcome: 'unfilled', error: 'http: HTTP 500' } },
      300,
    );
    expect(failed).toMatchObject({ state: 'failed', error: 'http: HTTP 500', progress_pct: 25, current_missing_candles: 3 });
    expect(health(300, failed)).toMatchObject({ status: 'red', status_reason: 'lagging_no_recent_backfill' });
  });

  it('up to date wins over a running fill (first match), and the payload keeps trade_canvas field order', () => {
    const running = backfillView({ running: { startedAt: 0, updatedAt: 0, missingBars: 2, fetchedBars: 0 }, last: null }, 300);
    const h = health(600, running);
    expect(h.status_reason).toBe('up_to_date');
    expect(Object.keys(h)).toEqual([
      'series_id',
      'timeframe_seconds',
      'now_time',
      'expected_latest_closed_time',
      'head_time',
      'lag_seconds',
      'missing_seconds',
      'missing_candles',
      'status',
      'status_reason',
      'backfill',
    ]);
    expect(Object.keys(h.backfill)).toEqual([
      'state',
      'progress_pct',
      'started_at',
      'updated_at',
      'reason',
      'note',
      'error',
      'recent',
      'start_missing_seconds',
      'start_missing_candles',
      'current_missing_seconds',
      'current_missing_candles',
    ]);
  });

  it('an idle series: no fill ever, nothing missing to fill (progress 100, as trade_canvas)', () => {
    expect(health(600).backfill).toEqual({ ...IDLE_BACKFILL, recent: false, progress_pct: 100 });
  });
});
