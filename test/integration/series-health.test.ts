import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { candle, http, postBatch, postClosed, startTestGateway, type TestGateway } from '../support/gateway-harness.js';

/**
 * `GET /api/market/health` and `GET /api/market/debug/series_health` against the real gateway
 * (HTTP ingest; the backfill fields with a real gap fill: series-health-backfill.test.ts).
 */
const S5 = 'binance:futures:BTC/USDT:5m';
const health = (gw: TestGateway, query: string) => http(gw.url, 'GET', `/api/market/health?${query}`);
const of = (seriesId: string) => `series_id=${encodeURIComponent(seriesId)}`;

describe('series health', () => {
  let gw: TestGateway;
  const clock = new ManualClock(1_700_000_123_000);
  beforeAll(async () => {
    gw = await startTestGateway({}, { clock });
  });
  afterAll(async () => {
    await gw.dispose();
  });

  it('the issue vector over HTTP: 5m series at now_time 960 — head 300 red, 600 green, 900 yellow', async () => {
    expect((await health(gw, `${of(S5)}&now_time=960`)).body).toMatchObject({ head_time: null, status: 'red', status_reason: 'missing_head' });
    await postClosed(gw.url, S5, candle(300));
    expect((await health(gw, `${of(S5)}&now_time=960`)).body).toEqual({
      series_id: S5,
      timeframe_seconds: 300,
      now_time: 960,
      expected_latest_closed_time: 600,
      head_time: 300,
      lag_seconds: 660,
      missing_seconds: 300,
      missing_candles: 1,
      status: 'red',
      status_reason: 'lagging_no_recent_backfill',
      backfill: {
        state: 'idle',
        progress_pct: 100,
        started_at: null,
        updated_at: null,
        reason: null,
        note: null,
        error: null,
        recent: false,
        start_missing_seconds: 0,
        start_missing_candles: 0,
        current_missing_seconds: 0,
        current_missing_candles: 0,
      },
    });
    await postClosed(gw.url, S5, candle(600));
    expect((await health(gw, `${of(S5)}&now_time=960`)).body).toMatchObject({ head_time: 600, status: 'green', status_reason: 'up_to_date' });
    await postClosed(gw.url, S5, candle(900));
    expect((await health(gw, `${of(S5)}&now_time=960`)).body).toMatchObject({ head_time: 900, status: 'yellow', status_reason: 'head_ahead_of_closed_window' });
  });

  it("without now_time, now is the gateway's clock (no live ingest to learn exchange time from)", async () => {
    const S = 'binance:spot:ETH/USDT:1m';
    const closed = Math.floor(clock.now() / 60_000) * 60 - 60;
    await postClosed(gw.url, S, candle(closed));
    expect((await health(gw, of(S))).body).toMatchObject({ now_time: Math.floor(clock.now() / 1000), expected_latest_closed_time: closed, status: 'green' });
    clock.advance(60_000);
    expect((await health(gw, of(S))).body).toMatchObject({ status: 'red', missing_candles: 1 });
  });

  it('bad input is 400 bad_request with a stable message', async () => {
    const cases: Array<[string, string]> = [
      ['', 'missing series_id'],
      ['series_id=binance:BTC', 'invalid series_id'],
      [`${of('binance:spot:BTC/USDT:1w')}`, 'invalid series_id'],
      [`${of(S5)}&now_time=-1`, 'invalid now_time'],
      [`${of(S5)}&now_time=soon`, 'invalid now_time'],
    ];
    for (const [query, message] of cases) {
      const res = await health(gw, query);
      expect([res.status, res.body], query).toEqual([400, { code: 'bad_request', message }]);
    }
  });

  it('debug series_health: counts, the newest holes, and how complete the recent bars are in 1m', async () => {
    const S = 'binance:futures:SOL/USDT:5m';
    const base = 'binance:futures:SOL/USDT:1m';
    await postBatch(
      gw.url,
      S,
      [300, 600, 1500, 1800, 3000].map((t) => candle(t)),
    );
    // The 1m sibling has 1500..1740 complete, 1800..2040 with two minutes missing.
    await postBatch(
      gw.url,
      base,
      [1500, 1560, 1620, 1680, 1740, 1800, 1860, 1980].map((t) => candle(t)),
    );
    const res = await http(gw.url, 'GET', `/api/market/debug/series_health?${of(S)}&max_recent_gaps=2&recent_base_buckets=2`);
    expect(res.body).toEqual({
      series_id: S,
      timeframe_seconds: 300,
      now_time: Math.floor(clock.now() / 1000),
      first_time: 300,
      head_time: 3000,
      lag_seconds: Math.floor(clock.now() / 1000) - 3000,
      candle_count: 5,
      gap_count: 2,
      max_gap_seconds: 1200,
      recent_gaps: [
        { prev_time: 1800, next_time: 3000, delta_seconds: 1200, missing_candles: 3 },
        { prev_time: 600, next_time: 1500, delta_seconds: 900, missing_candles: 2 },
      ],
      base_series_id: base,
      base_bucket_completeness: [
        { bucket_open_time: 1500, expected_minutes: 5, actual_minutes: 5, missing_minutes: 0 },
        { bucket_open_time: 1800, expected_minutes: 5, actual_minutes: 3, missing_minutes: 2 },
      ],
    });
  });
});

describe('series health gates (as trade_canvas)', () => {
  it('health needs the debug API or ENABLE_KLINE_HEALTH_V2 (404 otherwise); series_health needs the debug API and the token', async () => {
    const off = await startTestGateway({ enableDebugApi: false });
    const v2 = await startTestGateway({ enableDebugApi: false, enableKlineHealthV2: true });
    const debug = await startTestGateway({ apiToken: 't' });
    try {
      expect((await health(off, of(S5))).status).toBe(404);
      expect((await health(v2, of(S5))).status).toBe(200);
      expect((await http(v2.url, 'GET', `/api/market/debug/series_health?${of(S5)}`)).status).toBe(404);
      // Health is a read the chart makes: no token; the debug route is a debug route: token.
      expect((await health(debug, of(S5))).status).toBe(200);
      expect((await http(debug.url, 'GET', `/api/market/debug/series_health?${of(S5)}`)).status).toBe(401);
      expect((await http(debug.url, 'GET', `/api/market/debug/series_health?${of(S5)}`, undefined, { authorization: 'Bearer t' })).status).toBe(200);
    } finally {
      await Promise.all([off.dispose(), v2.dispose(), debug.dispose()]);
    }
  });
});
