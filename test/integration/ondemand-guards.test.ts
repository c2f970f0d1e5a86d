import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { fakeBinanceSettings, ingestState, jobOf } from '../support/live-ingest.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * Issue 15, defect 4: anonymous WebSocket clients chose the series, and on-demand ingest started
 * an upstream job for each, made-up symbols included (3,000 jobs, +409 MiB from 15 clients). Now
 * a symbol is checked against the exchange's listed symbols (cached exchangeInfo) before a job
 * starts, one connection holds a bounded number of on-demand series, and the process a bounded
 * number of jobs (ONDEMAND_MAX_JOBS, default 256).
 */
/** Messages a client received about one series. */
const aboutSeries = (client: WsClient, seriesId: string) => client.messages.filter((m) => m.series_id === seriesId);

describe('on-demand ingest guards', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 1500, tickMs: 100 });
    gw = await startTestGateway({ enableOndemandIngest: true, enableTailCoverage: false, wsMaxOndemandSeries: 2, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('a symbol the exchange does not list gets unknown_symbol and starts nothing upstream', async () => {
    const client = await WsClient.connect(gw);
    const S = 'binance:spot:MADEUPCOIN/USDT:1m';
    const klinesBefore = fake.rest.log.length;
    client.send({ type: 'subscribe', series_id: S, since: null, supports_batch: true });
    expect(await client.next(1, 10_000)).toEqual([
      { type: 'error', code: 'unknown_symbol', message: 'unknown symbol: MADEUPCOIN/USDT is not listed on binance spot', series_id: S },
    ]);
    await client.expectSilence(300);
    expect((await ingestState(gw)).jobs).toEqual([]);
    expect(fake.rest.log.length).toBe(klinesBefore);
    expect([...fake.connections].some((c) => c.streams.has('madeupcoinusdt@kline_1m'))).toBe(false);
    client.close();
  });

  it('one connection holds at most MARKET_WS_MAX_ONDEMAND_SERIES on-demand series; another connection is not affected', async () => {
    const greedy = await WsClient.connect(gw);
    const [a, b, c] = ['BTC', 'ETH', 'SOL'].map((coin) => `binance:futures:${coin}/USDT:1m`);
    for (const s of [a, b]) greedy.send({ type: 'subscribe', series_id: s!, since: null, supports_batch: true });
    await waitForAsync(async () => (await jobOf(gw, a!))?.running === true && (await jobOf(gw, b!))?.running === true, 'two jobs');
    greedy.send({ type: 'subscribe', series_id: c!, since: null, supports_batch: true });
    await waitFor(() => aboutSeries(greedy, c!).length > 0, 'the answer about the third series');
    expect(aboutSeries(greedy, c!)).toEqual([{ type: 'error', code: 'capacity', message: 'ondemand_connection_limit', series_id: c }]);
    expect(await jobOf(gw, c!)).toBeUndefined();

    const other = await WsClient.connect(gw);
    other.send({ type: 'subscribe', series_id: c!, since: null, supports_batch: true });
    await waitForAsync(async () => (await jobOf(gw, c!))?.running === true, 'the other connection’s job');
    // Unsubscribing frees a place on the greedy connection.
    greedy.send({ type: 'unsubscribe', series_id: a! });
    greedy.send({ type: 'subscribe', series_id: c!, since: null, supports_batch: true });
    await waitFor(() => aboutSeries(greedy, c!).some((m) => m.type !== 'error'), 'data of the third series');
    greedy.close();
    other.close();
  });

  it('the job cap has a default: ONDEMAND_MAX_JOBS is 256 unless set', async () => {
    expect((await http(gw.url, 'GET', '/api/market/debug/ingest_state')).body.ondemand_max_jobs).toBe(256);
  });
});
