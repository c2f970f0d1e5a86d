import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { captureLogs } from '../support/log-capture.js';
import { http, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { exchangeBars, fakeBinanceSettings, ingestState, rowOf } from '../support/live-ingest.js';
import { waitForAsync } from '../support/wait.js';

/**
 * Tail coverage when REST misbehaves (issue 11 item 3), against the fake over real sockets: the
 * read answers what is stored once its wait is over (or at once when REST has failed), says why
 * in the log once, never stores half a tail with a hole in it, and the tail is completed later
 * (here MARKET_TAIL_COVERAGE_RETRY_S = 0: the retry is due at once). An unknown symbol is a
 * stable `unknown_symbol` error, remembered so the exchange is not asked again on every read.
 */
const TAIL = 2000;
const streams = ['r429usdt@kline_15m', 'r418usdt@kline_15m', 'r5xxusdt@kline_15m', 'slowusdt@kline_15m'];
const candles = (gw: TestGateway, seriesId: string) => http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(seriesId)}&limit=${TAIL}`);
const statuses = (fake: FakeBinance, symbol: string) => fake.rest.log.filter((e) => e.params.symbol === symbol).map((e) => e.status);

describe('tail coverage under REST faults', () => {
  let fake: FakeBinance;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeBinance.start({ autoCreate: false, generator: { backfillBars: 2100 }, streams: { spot: streams } });
    fake.pause();
    gw = await startTestGateway({ enableOndemandIngest: true, tailCoverageRetryS: 0, tailCoverageWaitMs: 5_000, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  const tailOf = (seriesId: string) => exchangeBars(fake, seriesId).slice(-TAIL);

  it('429 with Retry-After: waits it out and answers the full tail (no 418 provoked)', async () => {
    const S = 'binance:spot:R429/USDT:15m';
    fake.rest.failNext(1, 429, 1);
    const res = await candles(gw, S);
    expect(res.body.candles.map(rowOf)).toEqual(tailOf(S));
    expect(statuses(fake, 'R429USDT')).toEqual([429, 200, 200, 200]);
  });

  it('418: answers what is stored (nothing) at once, logs why once, writes nothing; a later read completes the tail', async () => {
    const S = 'binance:spot:R418/USDT:15m';
    const logs = captureLogs('warn');
    fake.rest.failNext(1, 418, 1);
    const first = await candles(gw, S);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ series_id: S, server_head_time: null, candles: [] });
    const why = logs.filter((l) => l.component === 'holes.tail' && l.seriesId === S);
    expect(why.map((l) => [l.msg, l.code])).toEqual([['tail coverage stopped short; reads answer what is stored until a later try completes it', 'ip_banned']]);
    // Completed later: once the ban's Retry-After (1 s) is over, the retry fetches the whole tail.
    await waitForAsync(async () => (await candles(gw, S)).body.candles.length === TAIL, 'the tail after the ban', 15_000);
    expect((await candles(gw, S)).body.candles.map(rowOf)).toEqual(tailOf(S));
    expect(statuses(fake, 'R418USDT')[0]).toBe(418);
  });

  it('5xx after every retry: nothing half-written; the tail is completed later', async () => {
    const S = 'binance:spot:R5XX/USDT:15m';
    fake.rest.failNext(4, 503, 0); // the first try and its three retries
    const first = await candles(gw, S);
    expect(first.body.candles).toEqual([]);
    await waitForAsync(async () => (await candles(gw, S)).body.candles.length === TAIL, 'the tail after the outage', 15_000);
    expect((await candles(gw, S)).body.candles.map(rowOf)).toEqual(tailOf(S));
    expect(statuses(fake, 'R5XXUSDT').slice(0, 5)).toEqual([503, 503, 503, 503, 200]);
  });

  it('a slow exchange: the read answers what is stored after its bound; the fetch lands for the next read', async () => {
    const slow = await startTestGateway({ enableOndemandIngest: true, tailCoverageWaitMs: 200, ...fakeBinanceSettings(fake) });
    const S = 'binance:spot:SLOW/USDT:15m';
    fake.rest.latencyMs = 1_000; // real ms, five times the read's bound
    try {
      const first = await http(slow.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&limit=${TAIL}`);
      expect(first.body.candles).toEqual([]);
      await waitForAsync(
        async () => (await http(slow.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&limit=${TAIL}`)).body.candles.length === TAIL,
        'the tail',
        20_000,
      );
    } finally {
      fake.rest.latencyMs = 0;
      await slow.dispose();
    }
  });

  it('an unknown symbol: 404 unknown_symbol, not asked again; a subscribe gets the same error and starts no job', async () => {
    const S = 'binance:spot:NOPE/USDT:15m';
    const first = await candles(gw, S);
    expect(first.status).toBe(404);
    expect(first.body).toEqual({ code: 'unknown_symbol', message: expect.stringContaining('binance does not know this symbol') });
    expect(statuses(fake, 'NOPEUSDT')).toEqual([400]);
    expect((await candles(gw, S)).body.code).toBe('unknown_symbol');
    expect(statuses(fake, 'NOPEUSDT')).toEqual([400]);

    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: null, supports_batch: true });
    const [error] = await client.next(1, 10_000);
    expect(error).toMatchObject({ type: 'error', code: 'unknown_symbol', series_id: S });
    const job = (await ingestState(gw)).jobs.find((j) => j.series_id === S);
    expect(job?.running ?? false).toBe(false);
    expect(statuses(fake, 'NOPEUSDT')).toEqual([400]);
    client.close();
  });

  it('a timeframe Binance lacks (7m): the existing bad_request', async () => {
    const res = await candles(gw, 'binance:spot:R429/USDT:7m');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'bad_request', message: 'binance has no kline interval 7m' });
  });
});
