import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, postBatch, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { closedReceived, exchangeBars, fakeBinanceSettings, ingestState, type Row } from '../support/live-ingest.js';
import { waitFor } from '../support/wait.js';

/**
 * ENABLE_MARKET_GAP_BACKFILL with live ingest: a client resuming with `since` before a hole in
 * the store gets the hole filled — read from the store, fetched from Binance REST by the series'
 * ingest worker, committed, read again — instead of a `gap`.
 */
const S = 'binance:futures:BTC/USDT:1m';

describe('hub gap backfill through Binance REST', () => {
  let fake: FakeBinance;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 2000, tickMs: 100, generator: { backfillBars: 60 } });
    gw = await startTestGateway({ enableOndemandIngest: true, enableGapBackfill: true, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('fills a hole in the store from REST before catch-up, so the client sees no gap', async () => {
    // The stream (and its 60 past bars) exists from its first REST use.
    await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1`);
    const bars = exchangeBars(fake, S);
    const toCandle = (r: Row) => ({ candle_time: r[0], open: r[1], high: r[2], low: r[3], close: r[4], volume: r[5] });
    // The store has bars 0..9 and 20..29: a hole of ten bars.
    expect((await postBatch(gw.url, S, [...bars.slice(0, 10), ...bars.slice(20, 30)].map(toCandle))).status).toBe(200);

    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: bars[9]![0], supports_batch: true });
    await waitFor(() => closedReceived(client, S).length >= 20, 'catch-up through the hole', 15_000);
    const got = closedReceived(client, S);
    expect(got.slice(0, 20)).toEqual(bars.slice(10, 30));
    for (let i = 1; i < got.length; i++) expect(got[i]![0]).toBe(got[i - 1]![0] + 60);
    expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);

    // The fill is in the store for everyone else too.
    const read = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&since=${bars[9]![0]}&limit=10`);
    expect(read.body.candles.map((c: { candle_time: number }) => c.candle_time)).toEqual(bars.slice(10, 20).map((r) => r[0]));
    const worker = (await ingestState(gw)).workers[0];
    expect(worker.rest.futures.requests).toBeGreaterThanOrEqual(1);
    client.close();
  });

  it('a series Binance cannot stream is served from the store alone: its hole is announced', async () => {
    const X = 'okx:spot:BTC/USDT:1m';
    const base = 1_700_000_040;
    const candle = (t: number) => ({ candle_time: t, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 });
    await postBatch(gw.url, X, [base, base + 60, base + 300].map(candle));
    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: X, since: base + 60, supports_batch: true });
    const [gap] = await client.next(1, 10_000);
    expect(gap).toEqual({ type: 'gap', series_id: X, expected_next_time: base + 120, actual_time: base + 300 });
    client.close();
  });
});
