import { describe, expect, it } from 'vitest';
import { candle, gatewayPerTest, http, postClosed } from '../support/gateway-harness.js';

const S = 'binance:futures:BTC/USDT:1m';
const times = (candles: Array<{ candle_time: number }>) => candles.map((c) => c.candle_time);

/** trade_canvas's own worked examples (issue 2), against the real gateway. */
describe('trade_canvas worked examples: store holding 100, 160, 220', () => {
  const ctx = gatewayPerTest({}, async (gw) => {
    for (const t of [100, 160, 220]) expect((await postClosed(gw.url, S, candle(t))).status).toBe(200);
  });
  const connect = (query = '') => ctx.connect(query);

  it('GET limit=2 → [160,220] with head 220', async () => {
    const res = await http(ctx.gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&limit=2`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body).toEqual({ series_id: S, server_head_time: 220, candles: [candle(160), candle(220)] });
    // Compact JSON, fields in contract order.
    expect(res.text).toBe(JSON.stringify({ series_id: S, server_head_time: 220, candles: [candle(160), candle(220)] }));
  });

  it('GET since=160 → [220]; since=0 → 100,160,220', async () => {
    const a = await http(ctx.gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&since=160`);
    expect(times(a.body.candles)).toEqual([220]);
    const b = await http(ctx.gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&since=0`);
    expect(times(b.body.candles)).toEqual([100, 160, 220]);
  });

  it('WS since=100 → closed 160, 220, then ingest 280 → closed 280', async () => {
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, since: 100 });
    const [m1, m2] = await ws.next(2);
    expect(m1).toEqual({ type: 'candle_closed', series_id: S, candle: candle(160) });
    expect(m2).toEqual({ type: 'candle_closed', series_id: S, candle: candle(220) });
    await postClosed(ctx.gw.url, S, candle(280));
    expect(await ws.next()).toEqual([{ type: 'candle_closed', series_id: S, candle: candle(280) }]);
  });

  it('supports_batch → one candles_batch [160,220], then a single candle_closed 280', async () => {
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, since: 100, supports_batch: true });
    expect(await ws.next()).toEqual([{ type: 'candles_batch', series_id: S, candles: [candle(160), candle(220)] }]);
    await postClosed(ctx.gw.url, S, candle(280));
    expect(await ws.next()).toEqual([{ type: 'candle_closed', series_id: S, candle: candle(280) }]);
    await ws.expectSilence(200);
  });

  it('WS since=0 → 100, 160, 220 without a gap', async () => {
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, since: 0 });
    expect(times((await ws.next(3)).map((m) => m.candle))).toEqual([100, 160, 220]);
    await ws.expectSilence(200);
  });

  it('no since → the tail as catch-up', async () => {
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, supports_batch: true });
    expect(times((await ws.next())[0].candles)).toEqual([100, 160, 220]);
  });
});

describe('gaps and ordering', () => {
  const ctx = gatewayPerTest();

  it('store only 100, since=100, ingest 220 → gap{160,220} then closed 220', async () => {
    await postClosed(ctx.gw.url, S, candle(100));
    const ws = await ctx.connect();
    ws.send({ type: 'subscribe', series_id: S, since: 100 });
    await ws.expectSilence(150);
    await postClosed(ctx.gw.url, S, candle(220));
    expect(await ws.next(2)).toEqual([
      { type: 'gap', series_id: S, expected_next_time: 160, actual_time: 220 },
      { type: 'candle_closed', series_id: S, candle: candle(220) },
    ]);
  });

  it('a live candle arriving during catch-up: no loss, no duplicate, order kept', async () => {
    // A catch-up big enough to take a while, with live candles posted while it is read and sent.
    const catchup = Array.from({ length: 4000 }, (_, i) => candle(60 * (i + 1)));
    expect((await http(ctx.gw.url, 'POST', '/api/dev/market/ingest/candles_closed_batch', { series_id: S, candles: catchup })).status).toBe(200);
    const ws = await ctx.connect();
    const live = [4001, 4002, 4003, 4004, 4005].map((i) => candle(60 * i));
    ws.send({ type: 'subscribe', series_id: S, since: 0 });
    await Promise.all(live.map((c) => postClosed(ctx.gw.url, S, c)));
    const got = await ws.next(4005, 15_000);
    expect(got.every((m) => m.type === 'candle_closed')).toBe(true);
    expect(times(got.map((m) => m.candle))).toEqual(Array.from({ length: 4005 }, (_, i) => 60 * (i + 1)));
    await ws.expectSilence(200);
  });
});
