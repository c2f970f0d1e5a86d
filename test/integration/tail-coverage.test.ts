import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { fakeRestRows } from '../support/fake-rest-rows.js';
import { http, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { closedReceived, exchangeBars, fakeBinanceSettings, jobOf, rowOf, storedRows, type Row } from '../support/live-ingest.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * History on first open (issue 11): the gateway with on-demand ingest (tail coverage on by
 * default) and the fake exchange over real sockets. The fake is paused: its bars do not move, so
 * "the last closed bar" is the same for the gateway and the test. Symbols are listed up front
 * (autoCreate off), so any other symbol is unknown to the fake's REST, as on Binance.
 */
const TAIL = 2000;
const streams = ['symusdt@kline_15m', 'twousdt@kline_15m', 'wsusdt@kline_1h', 'fileusdt@kline_15m'];
const candles = (gw: TestGateway, seriesId: string, query = `limit=${TAIL}`) =>
  http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(seriesId)}&${query}`);
const klineRequests = (fake: FakeBinance, symbol: string) => fake.rest.log.filter((e) => e.params.symbol === symbol);

describe('tail coverage from Binance REST', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  const datadir = mkdtempSync(join(tmpdir(), 'kline-gw-tail-'));

  beforeAll(async () => {
    fake = await FakeBinance.start({ autoCreate: false, historyDays: 100, generator: { backfillBars: 2600 }, streams: { spot: streams } });
    fake.pause();
    // A freqtrade file holding FILE/USDT's bars up to 150 bars before the exchange's last one.
    mkdirSync(datadir, { recursive: true });
    const file = exchangeBars(fake, 'binance:spot:FILE/USDT:15m').slice(0, -150);
    writeFileSync(join(datadir, 'FILE_USDT-15m.json'), JSON.stringify(file.map(([t, ...ohlcv]) => [t * 1000, ...ohlcv])));
    gw = await startTestGateway({ enableOndemandIngest: true, historySource: 'freqtrade', freqtradeDatadir: datadir, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
    rmSync(datadir, { recursive: true, force: true });
  });

  it('a never-seen series: the first GET limit=2000 answers the exchange tail, value for value, ending at the last closed bar', async () => {
    const S = 'binance:spot:SYM/USDT:15m';
    const res = await candles(gw, S);
    const asked = klineRequests(fake, 'SYMUSDT').map((e) => [e.params.limit, e.params.startTime ?? null, e.status]);
    expect(res.status).toBe(200);
    const got: Row[] = res.body.candles.map(rowOf);
    const lastClosed = fake.generators.spot.formingBar('symusdt@kline_15m')!.t / 1000 - 900;
    expect(got).toHaveLength(TAIL);
    expect(res.body.server_head_time).toBe(lastClosed);
    expect(got).toEqual(await fakeRestRows(fake, 'spot', 'SYMUSDT', '15m', got[0]![0], lastClosed));
    expect(got[0]![0]).toBe(lastClosed - (TAIL - 1) * 900);
    // One fetch, newest first: 999 closed + the forming row, then the 1,001 before them in two
    // even pages (they went out together: either may arrive first).
    expect(asked[0]).toEqual(['1000', null, 200]);
    expect(asked.slice(1).sort((a, b) => Number(b[1]) - Number(a[1]))).toEqual([
      ['501', String((lastClosed - 1499 * 900) * 1000), 200],
      ['500', String((lastClosed - 1999 * 900) * 1000), 200],
    ]);
    // Covered: the next read asks nothing.
    const before = fake.rest.log.length;
    expect((await candles(gw, S)).body.candles).toHaveLength(TAIL);
    expect(fake.rest.log.length).toBe(before);
  });

  it('two concurrent first reads share one fetch (counted at the exchange)', async () => {
    const S = 'binance:spot:TWO/USDT:15m';
    fake.rest.latencyMs = 50; // both reads arrive while the first page is on its way
    try {
      const [a, b] = await Promise.all([candles(gw, S), candles(gw, S)]);
      expect(a.body.candles).toHaveLength(TAIL);
      expect(b.body).toEqual(a.body);
    } finally {
      fake.rest.latencyMs = 0;
    }
    expect(klineRequests(fake, 'TWOUSDT')).toHaveLength(3);
  });

  it('a WebSocket subscribe to another never-seen series gets the full tail in its snapshot and catch-up; the job starts after it', async () => {
    const S = 'binance:spot:WS/USDT:1h';
    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, tail_limit: TAIL });
    const [snapshot] = await client.next(1, 15_000);
    expect(snapshot.type).toBe('snapshot');
    expect(snapshot.candles.map(rowOf)).toEqual(exchangeBars(fake, S).slice(-TAIL));
    await waitForAsync(async () => (await jobOf(gw, S))?.running === true, 'the job to run', 15_000);
    const catchup = await WsClient.connect(gw);
    catchup.send({ type: 'subscribe', series_id: S, since: null, supports_batch: true });
    await waitFor(() => closedReceived(catchup, S).length >= TAIL, 'the catch-up', 10_000);
    expect(closedReceived(catchup, S)).toEqual(exchangeBars(fake, S).slice(-TAIL));
    expect(klineRequests(fake, 'WSUSDT')).toHaveLength(3); // one coverage: 999 + 1000 + 1 closed bars
    client.close();
    catchup.close();
  });

  it('freqtrade file first, then REST only for what it lacks', async () => {
    const S = 'binance:spot:FILE/USDT:15m';
    const res = await candles(gw, S);
    expect(res.body.candles.map(rowOf)).toEqual(exchangeBars(fake, S).slice(-TAIL));
    // The file ends 150 bars before the exchange: one page, newest first, stopping at the file's end.
    expect(klineRequests(fake, 'FILEUSDT').map((e) => [e.params.limit, e.params.startTime ?? null, e.params.endTime ?? null])).toEqual([['1000', null, null]]);
    // The file's tail (FREQTRADE_BOOTSTRAP_LIMIT = 2000 bars) and REST's 150 join without a hole.
    expect(await storedRows(gw, S)).toEqual(exchangeBars(fake, S).slice(-(2000 + 150)));
  });

  it('/metrics counts coverage runs, candles, requests and weight per market', async () => {
    const text = (await http(gw.url, 'GET', '/metrics')).text;
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('kline_gateway_tail_coverage_runs_total\\{market="spot",outcome="covered"\\}')).toBeGreaterThanOrEqual(4);
    expect(value('kline_gateway_tail_coverage_candles_total\\{market="spot"\\}')).toBeGreaterThanOrEqual(3 * TAIL);
    expect(value('kline_gateway_tail_coverage_rest_weight_total\\{market="spot"\\}')).toBeGreaterThanOrEqual(2 * 3 * 3);
    expect(value('kline_gateway_tail_coverage_seconds_count\\{market="spot"\\}')).toBeGreaterThanOrEqual(4);
    expect(value('kline_gateway_tail_coverage_pending')).toBe(0);
    // Each 2,000-bar spot run's two older pages were fetched ahead by the worker and claimed.
    const ahead = (outcome: string) => value(`kline_gateway_ingest_older_pages_ahead_total\\{worker="0",outcome="${outcome}"\\}`);
    expect(ahead('claimed')).toBeGreaterThanOrEqual(2 * 3);
    expect(ahead('fetched')).toBeGreaterThanOrEqual(ahead('claimed'));
    expect(ahead('dropped')).toBe(0);
  });
});

describe('startup sync of whitelisted series', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  const S = 'binance:futures:WL/USDT:15m';

  beforeAll(async () => {
    fake = await FakeBinance.start({ autoCreate: false, generator: { backfillBars: 2100 }, streams: { futures: ['wlusdt@kline_15m'] } });
    fake.pause();
    const dir = mkdtempSync(join(tmpdir(), 'kline-gw-it-'));
    writeFileSync(join(dir, 'whitelist.json'), JSON.stringify({ series_ids: [S] }));
    gw = await startTestGateway({ enableWhitelistIngest: true, ...fakeBinanceSettings(fake) }, {}, dir);
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('covers the tail before the job goes live', async () => {
    await waitForAsync(async () => (await jobOf(gw, S))?.running === true, 'the whitelisted job to run', 15_000);
    const job = await jobOf(gw, S);
    const coverage = klineRequests(fake, 'WLUSDT');
    // futures: 1499 closed + the forming row, then 501 (weights 10 + 5).
    expect(coverage.map((e) => e.params.limit)).toEqual(['1500', '501']);
    expect(Math.max(...coverage.map((e) => e.at))).toBeLessThanOrEqual(job.started_at * 1000); // started_at: seconds
    expect(await storedRows(gw, S)).toEqual(exchangeBars(fake, S).slice(-TAIL));
  });
});

describe('covered history, then live', () => {
  let fake: FakeBinance;
  let gw: TestGateway;

  beforeAll(async () => {
    // Running: a 1m bar lasts a second, so live closes follow the covered tail within the test.
    fake = await FakeBinance.start({ barMs: 1000, tickMs: 100 });
    gw = await startTestGateway({ enableOndemandIngest: true, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('a subscriber gets the REST tail and then live closes: no hole, no overlap, no gap', async () => {
    // On-demand: the symbol must be one the exchange lists (the fake's universe), or no job starts.
    const S = 'binance:futures:OP/USDT:1m';
    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: null, supports_batch: true });
    await waitFor(() => closedReceived(client, S).length >= TAIL + 3, 'the tail and three live closes', 20_000);
    const got = closedReceived(client, S);
    for (let i = 1; i < got.length; i++) expect(got[i]![0] - got[i - 1]![0], `step at ${i}`).toBe(60);
    expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);
    // The tail is the exchange's REST history, value for value; what followed came live.
    expect(got.slice(0, TAIL)).toEqual(await fakeRestRows(fake, 'futures', 'OPUSDT', '1m', got[0]![0], got[TAIL - 1]![0]));
    client.close();
  });
});
