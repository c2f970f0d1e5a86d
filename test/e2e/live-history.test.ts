import { expect, it } from 'vitest';
import { unpackCandles } from '../../src/domain/candle.js';
import { describeWithChromium, UI_TIMEOUT_MS, useChromium } from '../support/browser.js';
import { withDbCopy } from '../support/db-file.js';
import { candle, http, postBatch, postClosed, postForming, startTestGateway } from '../support/gateway-harness.js';

const BTC = 'binance:futures:BTC/USDT:1m';
const times = (candles: Array<{ candle_time: number }>) => candles.map((c) => c.candle_time);

describeWithChromium('live page in Chromium: history, live ticks, gap refill', () => {
  const e2e = useChromium();

  it('live chart loads history once and forming candle jumps', async () => {
    const gw = e2e.own(await startTestGateway());
    expect((await postClosed(gw.url, BTC, candle(60))).status).toBe(200);
    expect((await postClosed(gw.url, BTC, candle(120))).status).toBe(200);

    // Plain /live: the default series is BTC/USDT 1m futures.
    const live = await e2e.open(gw.url, '/live');
    await live.expectHook('data-live-load-status', 'ready');
    expect(await live.hook('data-series-id')).toBe(BTC);
    expect(await live.hook('data-candles-len')).toBe('2');
    expect(await live.hook('data-last-time')).toBe('120');
    expect(live.candleGets.map((u) => Object.fromEntries(u.searchParams))).toEqual([{ series_id: BTC, limit: '2000' }]);
    await expect.poll(() => live.subscribes(), { timeout: UI_TIMEOUT_MS }).toHaveLength(1);
    expect(live.subscribes()[0]!.data).toEqual({ type: 'subscribe', series_id: BTC, since: 120, supports_batch: true });

    // Each forming update must be on screen before the next one is sent: every jump is seen.
    for (const close of [10, 11, 12]) {
      expect((await postForming(gw.url, BTC, candle(180, close))).status).toBe(200);
      await live.expectHook('data-last-close', String(close));
      expect(await live.hook('data-last-time')).toBe('180');
    }
    expect(await live.hook('data-candles-len')).toBe('3');
    // Nothing closed came over the socket yet (the catch-up after 120 was empty); forming never counts.
    expect(await live.hook('data-last-ws-candle-time')).toBe('');

    expect((await postClosed(gw.url, BTC, candle(180, 13))).status).toBe(200);
    await live.expectHook('data-last-ws-candle-time', '180');
    expect(await live.hook('data-last-close')).toBe('13');
    expect(await live.hook('data-last-time')).toBe('180');
    expect(await live.hook('data-candles-len')).toBe('3');

    const since = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(BTC)}&since=120`);
    expect(since.body.candles).toEqual([candle(180, 13)]);
    expect(withDbCopy(gw.dbPath, (db) => unpackCandles(db.after(BTC, 120, 10)))).toEqual([candle(180, 13)]);
    expect(live.candleGets).toHaveLength(1);
    expect(live.documentLoads).toHaveLength(1);
  });

  it('a hole written without publish is refilled over HTTP once: 240, 300, 360 with no gap', async () => {
    const gw = e2e.own(await startTestGateway({ enableGapBackfill: false })); // the page, not the gateway, must fill it
    const ETH = 'binance:spot:ETH/USDT:1m';
    expect((await postBatch(gw.url, ETH, [candle(60), candle(120), candle(180)])).status).toBe(200);

    // ?series_id= picks the series (and is how a chart link is shared).
    const live = await e2e.open(gw.url, `/live?series_id=${ETH}`);
    await live.expectHook('data-live-load-status', 'ready');
    expect(await live.hook('data-series-id')).toBe(ETH);
    await expect.poll(() => live.subscribes(), { timeout: UI_TIMEOUT_MS }).toHaveLength(1);
    expect(live.subscribes()[0]!.data).toMatchObject({ series_id: ETH, since: 180 });
    expect(await live.chartTimes()).toEqual([60, 120, 180]);

    const batch = await postBatch(gw.url, ETH, [candle(240), candle(300)], false);
    expect(batch.body).toMatchObject({ ok: true, count: 2, last_candle_time: 300 });
    expect((await postClosed(gw.url, ETH, candle(360))).status).toBe(200);

    await live.expectHook('data-last-ws-candle-time', '360');
    await expect.poll(() => live.chartTimes(), { timeout: UI_TIMEOUT_MS }).toEqual([60, 120, 180, 240, 300, 360]);
    expect(await live.hook('data-candles-len')).toBe('6');
    expect(await live.hook('data-last-time')).toBe('360');
    expect(await live.hook('data-live-load-status')).toBe('ready');
    // The gateway did announce the hole, and the page answered with exactly one refill from 180.
    expect(live.receivedFrames.map((f) => f.data)).toContainEqual({ type: 'gap', series_id: ETH, expected_next_time: 240, actual_time: 360 });
    expect(live.candleGets).toHaveLength(2);
    expect(Object.fromEntries(live.candleGets[1]!.searchParams)).toEqual({ series_id: ETH, since: '180', limit: '5000' });
    expect(times((await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(ETH)}`)).body.candles)).toEqual(await live.chartTimes());
  });
});
