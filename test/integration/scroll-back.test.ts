import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { fakeRestRows } from '../support/fake-rest-rows.js';
import { http, postBatch, startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { exchangeBars, fakeBinanceSettings, rowOf, type Row } from '../support/live-ingest.js';

/**
 * Scroll-back (`GET /api/market/candles?before=T&limit=N`, issue 11): the N closed candles before
 * T, exactly; REST is asked only for what the store lacks. The fake (paused) serves 30 days of
 * SCR/USDT 15m (about 2,900 bars, all listed by history()); the first read covers the newest
 * 2,000, from `tail` on.
 */
const S = 'binance:spot:SCR/USDT:15m';
const TF = 900;
const read = (gw: TestGateway, query: string) => http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&${query}`);

describe('scroll-back (before=)', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  let bars: Row[];
  /** Index of the first bar the first read stored. */
  let tail: number;
  const requests = () => fake.rest.log.filter((e) => e.params.symbol === 'SCRUSDT');

  beforeAll(async () => {
    // backfillBars beyond what the fake has: history() lists every bar REST serves.
    fake = await FakeBinance.start({ autoCreate: false, historyDays: 30, generator: { backfillBars: 10_000 }, streams: { spot: ['scrusdt@kline_15m'] } });
    fake.pause();
    bars = exchangeBars(fake, S);
    tail = bars.length - 2000;
    expect(tail).toBeGreaterThan(500);
    gw = await startTestGateway({ enableOndemandIngest: true, ...fakeBinanceSettings(fake) });
    expect((await read(gw, 'limit=2000')).body.candles.map(rowOf)).toEqual(bars.slice(tail));
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('answers the N candles before T that the store has, without asking the exchange', async () => {
    const before = requests().length;
    const res = await read(gw, `before=${bars[tail + 500]![0]}&limit=300`);
    expect(res.body.candles.map(rowOf)).toEqual(bars.slice(tail + 200, tail + 500));
    expect(res.body.server_head_time).toBe(bars.at(-1)![0]);
    expect(requests().length).toBe(before);
  });

  it('fetches only the part the store lacks, exactly the exchange values, then has it stored', async () => {
    const before = requests().length;
    // 500 before bars[tail + 200]: the store has the last 200 of them, REST gives the 300 before.
    const res = await read(gw, `before=${bars[tail + 200]![0]}&limit=500`);
    const asked = requests().slice(before);
    expect(res.body.candles.map(rowOf)).toEqual(bars.slice(tail - 300, tail + 200));
    expect(res.body.candles.map(rowOf)).toEqual(await fakeRestRows(fake, 'spot', 'SCRUSDT', '15m', bars[tail - 300]![0], bars[tail + 199]![0]));
    expect(asked.map((e) => [Number(e.params.startTime) / 1000, Number(e.params.endTime) / 1000, e.params.limit])).toEqual([
      [bars[tail - 300]![0], bars[tail - 1]![0], '300'],
    ]);

    const again = requests().length;
    expect((await read(gw, `before=${bars[tail]![0]}&limit=300`)).body.candles.map(rowOf)).toEqual(bars.slice(tail - 300, tail));
    expect(requests().length).toBe(again);
  });

  it('a T between bars: the candles that open before it', async () => {
    const res = await read(gw, `before=${bars[tail + 500]![0] + TF / 2}&limit=2`);
    expect(res.body.candles.map(rowOf)).toEqual(bars.slice(tail + 499, tail + 501));
  });

  it('before the exchange has data: what there is, and the exchange is not asked about that window again', async () => {
    const first = await read(gw, `before=${bars[100]![0]}&limit=500`);
    expect(first.body.candles.map(rowOf)).toEqual(bars.slice(0, 100));
    const before = requests().length;
    expect((await read(gw, `before=${bars[100]![0]}&limit=500`)).body.candles.map(rowOf)).toEqual(bars.slice(0, 100));
    expect(requests().length).toBe(before);
  });

  it('bad input: since with before, a negative before', async () => {
    expect((await read(gw, `before=${bars[100]![0]}&since=1`)).body).toEqual({ code: 'bad_request', message: 'since and before cannot be combined' });
    expect((await read(gw, 'before=-5')).body).toEqual({ code: 'bad_request', message: 'invalid before' });
  });

  it('a series the exchange does not serve is read from the store', async () => {
    const X = 'okx:spot:SCR/USDT:15m';
    await postBatch(
      gw.url,
      X,
      [0, 1, 2, 5].map((i) => ({ candle_time: 9000 + i * TF, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 })),
    );
    const res = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(X)}&before=${9000 + 5 * TF}&limit=10`);
    expect(res.body.candles.map((c: { candle_time: number }) => c.candle_time)).toEqual([9000, 9000 + TF, 9000 + 2 * TF]);
  });
});
