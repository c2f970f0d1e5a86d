import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { fakeBinanceSettings } from '../support/live-ingest.js';
import { sleep } from '../support/wait.js';

/**
 * Series health's backfill fields during tail coverage (issue 12 with issue 11): the first GET of
 * a never-seen series fetches its latest 500 bars from the fake's REST (each page held back
 * 400 ms); health, asked meanwhile, shows that run — running with reason `tail_coverage`, then
 * succeeded with the bars it fetched. The fake is paused, so nothing closes during the test.
 */
const S = 'binance:spot:COV/USDT:15m';
const TAIL = 500;

describe('series health during tail coverage', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  const health = async () =>
    (await http(gw.url, 'GET', `/api/market/health?series_id=${encodeURIComponent(S)}&now_time=${Math.floor(fake.now() / 1000)}`)).body;

  beforeAll(async () => {
    fake = await FakeBinance.start({ autoCreate: false, generator: { backfillBars: 2000 }, streams: { spot: ['covusdt@kline_15m'] } });
    fake.pause();
    fake.rest.latencyMs = 400;
    gw = await startTestGateway({ enableOndemandIngest: true, tailCandles: TAIL, klineHealthBackfillRecentSeconds: 3600, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('idle before, running (tail_coverage) while the first read waits, succeeded after with the fetched tail', async () => {
    expect((await health()).backfill).toMatchObject({ state: 'idle' });
    const read = http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&limit=${TAIL}`);
    let during = await health();
    const deadline = Date.now() + 15_000;
    while (during.backfill.state !== 'running') {
      if (Date.now() > deadline) throw new Error(`coverage never showed as running; last ${JSON.stringify(during.backfill)}`);
      await sleep(20);
      during = await health();
    }
    expect(during).toMatchObject({ status: 'red', status_reason: 'missing_head' }); // nothing stored yet: no head wins
    expect(during.backfill).toMatchObject({ reason: 'tail_coverage', error: null, start_missing_candles: TAIL, start_missing_seconds: TAIL * 900 });

    const res = await read;
    expect(res.status).toBe(200);
    expect(res.body.candles).toHaveLength(TAIL);
    const after = await health();
    expect(after).toMatchObject({ status: 'green', status_reason: 'up_to_date', head_time: res.body.server_head_time });
    expect(after.backfill).toMatchObject({
      state: 'succeeded',
      reason: 'tail_coverage',
      progress_pct: 100,
      current_missing_candles: 0,
      error: null,
      recent: true,
      started_at: during.backfill.started_at,
    });
    expect(after.backfill.start_missing_candles).toBeGreaterThanOrEqual(TAIL);
  });
});
