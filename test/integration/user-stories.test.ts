import { describe, expect, it } from 'vitest';
import { withDbCopy } from '../support/db-file.js';
import { candle, gatewayPerTest, http, postBatch, postClosed, postForming } from '../support/gateway-harness.js';

const S = 'binance:futures:BTC/USDT:1m';
const q = encodeURIComponent(S);
const times = (candles: Array<{ candle_time: number }>) => candles.map((c) => c.candle_time);

describe('user stories', () => {
  const ctx = gatewayPerTest();
  const connect = (query = '') => ctx.connect(query);

  it('seed 000 without bootstrap: 2100 candles via the dev batch, reads, live ingest, rows in the SQLite file', async () => {
    const candles = Array.from({ length: 2100 }, (_, i) => candle(60 * (i + 1), 100 + i));
    const batch = await postBatch(ctx.gw.url, S, candles);
    expect(batch.body).toEqual({ ok: true, series_id: S, count: 2100, first_candle_time: 60, last_candle_time: 126000 });

    const tail = await http(ctx.gw.url, 'GET', `/api/market/candles?series_id=${q}&limit=2000`);
    expect(tail.body.candles).toHaveLength(2000);
    expect(tail.body.candles[0].candle_time).toBe(6060);
    expect(tail.body.candles[1999].candle_time).toBe(126000);
    expect(times(tail.body.candles)).toEqual([...times(tail.body.candles)].sort((a, b) => a - b));
    expect(tail.body.server_head_time).toBe(126000);

    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, since: 126000 });
    await ws.expectSilence(200);
    expect((await postClosed(ctx.gw.url, S, candle(126060))).status).toBe(200);
    expect(await ws.next()).toEqual([{ type: 'candle_closed', series_id: S, candle: candle(126060) }]);

    const since = await http(ctx.gw.url, 'GET', `/api/market/candles?series_id=${q}&since=126000`);
    expect(times(since.body.candles)).toEqual([126060]);
    expect(withDbCopy(ctx.gw.dbPath, (db) => db.count())).toBe(2101);
  });

  it('forming via the debug route is delivered but never stored', async () => {
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, supports_batch: true });
    await ws.expectSilence(100); // empty series: no catch-up frame
    expect((await postForming(ctx.gw.url, S, candle(60, 10))).body).toEqual({ ok: true, series_id: S, candle_time: 60 });
    expect(await ws.next()).toEqual([{ type: 'candle_forming', series_id: S, candle: candle(60, 10) }]);
    const read = await http(ctx.gw.url, 'GET', `/api/market/candles?series_id=${q}`);
    expect(read.body).toEqual({ series_id: S, server_head_time: null, candles: [] });
    expect(withDbCopy(ctx.gw.dbPath, (db) => db.count())).toBe(0);
  });

  it('forming at or before last_sent_time is suppressed; a newer one goes through', async () => {
    await postClosed(ctx.gw.url, S, candle(120));
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, since: 60 });
    await ws.next();
    await postForming(ctx.gw.url, S, candle(120, 3));
    await postForming(ctx.gw.url, S, candle(60, 3));
    await ws.expectSilence(200);
    await postForming(ctx.gw.url, S, candle(180, 4));
    expect(await ws.next()).toEqual([{ type: 'candle_forming', series_id: S, candle: candle(180, 4) }]);
  });

  it('after catch-up, the current forming candle is sent at once', async () => {
    await postClosed(ctx.gw.url, S, candle(60));
    await postForming(ctx.gw.url, S, candle(120, 7));
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    expect(await ws.next(2)).toEqual([
      { type: 'candles_batch', series_id: S, candles: [candle(60)] },
      { type: 'candle_forming', series_id: S, candle: candle(120, 7) },
    ]);
  });

  it('snapshot (tail_limit) carries the latest candles, the head and the forming candle', async () => {
    await postBatch(
      ctx.gw.url,
      S,
      [60, 120, 180, 240].map((t) => candle(t)),
    );
    await postForming(ctx.gw.url, S, candle(300, 5));
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, tail_limit: 2 });
    expect(await ws.next()).toEqual([{ type: 'snapshot', series_id: S, candles: [candle(180), candle(240)], server_head_time: 240, forming: candle(300, 5) }]);
    await postClosed(ctx.gw.url, S, candle(300, 6));
    expect(await ws.next()).toEqual([{ type: 'candle_closed', series_id: S, candle: candle(300, 6) }]);
  });

  it('snapshot of an empty series: no candles, null head, null forming', async () => {
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, tail_limit: 100 });
    expect(await ws.next()).toEqual([{ type: 'snapshot', series_id: S, candles: [], server_head_time: null, forming: null }]);
  });

  it('?encoding=msgpack: every frame is the same object, msgpack-encoded', async () => {
    await postClosed(ctx.gw.url, S, candle(60));
    const ws = await connect('?encoding=msgpack');
    ws.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    expect(await ws.next()).toEqual([{ type: 'candles_batch', series_id: S, candles: [candle(60)] }]);
    ws.send({ type: 'nope' });
    expect(await ws.next()).toEqual([{ type: 'error', code: 'bad_request', message: 'unknown message type: nope' }]);
  });

  it('dev batch with publish_ws:false is stored silently; the next live candle reveals the hole as a gap', async () => {
    await postClosed(ctx.gw.url, S, candle(180));
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, since: 120 });
    await ws.next();
    await postBatch(ctx.gw.url, S, [candle(240), candle(300)], false);
    await ws.expectSilence(150);
    await postClosed(ctx.gw.url, S, candle(360));
    expect(await ws.next(2)).toEqual([
      { type: 'gap', series_id: S, expected_next_time: 240, actual_time: 360 },
      { type: 'candle_closed', series_id: S, candle: candle(360) },
    ]);
    const refill = await http(ctx.gw.url, 'GET', `/api/market/candles?series_id=${q}&since=180`);
    expect(times(refill.body.candles)).toEqual([240, 300, 360]);
  });

  it('re-subscribe on the same socket replaces the subscription (no duplicate delivery)', async () => {
    await postClosed(ctx.gw.url, S, candle(60));
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S, since: 0 });
    await ws.next();
    ws.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    expect(await ws.next()).toEqual([{ type: 'candles_batch', series_id: S, candles: [candle(60)] }]);
    await postClosed(ctx.gw.url, S, candle(120));
    expect(await ws.next()).toEqual([{ type: 'candle_closed', series_id: S, candle: candle(120) }]);
    await ws.expectSilence(150);
  });

  it('unsubscribe stops delivery', async () => {
    const ws = await connect();
    ws.send({ type: 'subscribe', series_id: S });
    ws.send({ type: 'unsubscribe', series_id: S });
    await postClosed(ctx.gw.url, S, candle(60));
    await ws.expectSilence(200);
  });
});

describe('gap backfill enabled', () => {
  const ctx = gatewayPerTest({ enableGapBackfill: true });

  it('fills a catch-up hole from the store before sending (no gap)', async () => {
    await postClosed(ctx.gw.url, S, candle(100));
    await postClosed(ctx.gw.url, S, candle(220));
    const ws = await ctx.connect();
    ws.send({ type: 'subscribe', series_id: S, since: 100, supports_batch: true });
    // 160 is missing: nothing to fill it with, so the gap is announced.
    expect(await ws.next(2)).toEqual([
      { type: 'gap', series_id: S, expected_next_time: 160, actual_time: 220 },
      { type: 'candles_batch', series_id: S, candles: [candle(220)] },
    ]);
    ws.close();
  });

  it('fills a live hole with silently stored candles instead of announcing it', async () => {
    await postClosed(ctx.gw.url, S, candle(180));
    const ws = await ctx.connect();
    ws.send({ type: 'subscribe', series_id: S, since: 120, supports_batch: true });
    await ws.next();
    await postBatch(ctx.gw.url, S, [candle(240), candle(300)], false);
    await postClosed(ctx.gw.url, S, candle(360));
    expect(await ws.next()).toEqual([{ type: 'candles_batch', series_id: S, candles: [candle(240), candle(300), candle(360)] }]);
    ws.close();
  });
});
