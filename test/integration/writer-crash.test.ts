import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerStore } from '../../src/main/store/worker-store.js';
import { candle, http, postClosed, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';

const S = 'binance:futures:BTC/USDT:1m';
const q = encodeURIComponent(S);

describe('writer thread crash', () => {
  let gw: TestGateway;
  afterEach(async () => {
    await gw.dispose();
  });

  it('restarts the writer; cached reads, new writes and live subscribers keep working', async () => {
    gw = await startTestGateway();
    for (const t of [60, 120]) await postClosed(gw.url, S, candle(t));
    expect((await http(gw.url, 'GET', `/api/market/candles?series_id=${q}`)).body.server_head_time).toBe(120); // tail now cached
    const ws = await WsClient.connect(gw);
    ws.send({ type: 'subscribe', series_id: S, since: 120 });
    await ws.expectSilence(100);

    await (gw.store as WorkerStore).crashWriterForTest();
    await expect.poll(async () => (await http(gw.url, 'GET', '/readyz')).status, { timeout: 10_000 }).toBe(200);

    expect((await postClosed(gw.url, S, candle(180))).status).toBe(200);
    expect(await ws.next()).toEqual([{ type: 'candle_closed', series_id: S, candle: candle(180) }]);
    const read = await http(gw.url, 'GET', `/api/market/candles?series_id=${q}`);
    expect(read.body.candles.map((c: { candle_time: number }) => c.candle_time)).toEqual([60, 120, 180]);
    expect(read.body.server_head_time).toBe(180);
    ws.close();
  });
});
