import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, WsClient, type TestGateway } from '../../support/gateway-harness.js';
import { closedReceived, exchangeBars, fakeBinanceSettings, untilCaughtUp } from '../../support/live-ingest.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { storedCandles } from '../../support/pg-query.js';

/**
 * PostgreSQL restarted under live ingest (issue 13 §5): the whitelist ingests four series from
 * the fake exchange, whose clock the test drives (paused; `advance` sends what happened). Bars
 * close while PostgreSQL is down: commits fail, the writer keeps its queue and retries, the
 * ingest worker holds its unacknowledged batches, /readyz says 503. Once PostgreSQL is back,
 * the store holds every closed candle the exchange produced, values included, and subscribers
 * saw each once, in order, with no gap.
 */
const SERIES = ['binance:futures:BTC/USDT:1m', 'binance:futures:ETH/USDT:1m', 'binance:spot:BTC/USDT:1m', 'binance:spot:SOL/USDT:1m'];
const BAR_MS = 60_000;
/** A forming update every 10 s of exchange time, and the closes in between. */
const STEP_MS = 10_000;
const skip = pgSkipReason();

describe.skipIf(skip !== null)('PostgreSQL restarted under live ingest', () => {
  const cluster = usePgCluster();
  const dir = mkdtempSync(join(tmpdir(), 'kline-pg-live-'));
  let fake: FakeBinance;
  let gw: TestGateway;
  let url: string;
  let batchClient: WsClient;
  let streamClient: WsClient;

  beforeAll(async () => {
    url = await cluster().createDatabase();
    fake = await FakeBinance.start({ paused: true });
    writeFileSync(join(dir, 'whitelist.json'), JSON.stringify({ series_ids: SERIES }));
    gw = await startTestGateway(
      {
        store: 'postgres',
        pgUrl: url,
        whitelistPath: join(dir, 'whitelist.json'),
        enableWhitelistIngest: true,
        // The store is compared with what the jobs ingested, not with a REST-fetched history tail.
        enableTailCoverage: false,
        ...fakeBinanceSettings(fake),
      },
      {},
      dir,
    );
    await fake.subscribed('futures', ['btcusdt@kline_1m', 'ethusdt@kline_1m']);
    await fake.subscribed('spot', ['btcusdt@kline_1m', 'solusdt@kline_1m']);
    batchClient = await WsClient.connect(gw);
    streamClient = await WsClient.connect(gw, '?encoding=msgpack');
    for (const s of SERIES) batchClient.send({ type: 'subscribe', series_id: s, since: null, supports_batch: true });
    for (const s of SERIES) streamClient.send({ type: 'subscribe', series_id: s, since: null, supports_batch: false });
  }, 60_000);
  afterAll(async () => {
    batchClient?.close();
    streamClient?.close();
    await gw?.dispose();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const bars = (n: number) => fake.advance(n * BAR_MS, STEP_MS);
  const readyz = async () => (await http(gw.url, 'GET', '/readyz')).body;
  const watchers: [WsClient, readonly string[]][] = [];

  it('stores every closed candle and delivers each once, in order, across the restart', async () => {
    watchers.push([batchClient, SERIES], [streamClient, SERIES]);
    bars(3);
    await untilCaughtUp(fake, gw, SERIES, watchers);

    await cluster().stop('fast');
    await expect.poll(readyz, { timeout: 20_000 }).toEqual({ status: 'not_ready', reasons: [expect.stringMatching(/^store cannot commit: .*PostgreSQL/)] });
    bars(4); // closes while PostgreSQL is down
    // The batches wait (writer queue and the ingest worker's window), nothing is dropped.
    await expect.poll(async () => (await gw.store.stats()).pendingCandles, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await readyz()).toMatchObject({ status: 'not_ready' });
    // A read the tail cache cannot answer: 503 with the code, not a 500.
    const uncached = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent('binance:spot:NOPE/USDT:1m')}`);
    expect([uncached.status, uncached.body.code]).toEqual([503, 'unavailable']);

    await cluster().start();
    await expect.poll(readyz, { timeout: 30_000 }).toEqual({ status: 'ready' });
    bars(2);
    await untilCaughtUp(fake, gw, SERIES, watchers);

    for (const s of SERIES) {
      const produced = exchangeBars(fake, s);
      expect(produced.length, s).toBeGreaterThanOrEqual(9);
      expect(await storedCandles(url, s), s).toEqual(produced);
      expect(closedReceived(batchClient, s), s).toEqual(produced);
      expect(closedReceived(streamClient, s), s).toEqual(produced);
    }
    for (const client of [batchClient, streamClient]) expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);
    expect((await gw.store.stats()).commitFailures).toBeGreaterThan(0);
    const metrics = (await http(gw.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^kline_gateway_pg_connection_losses_total [1-9]/m);
    // Live candles come after each series' stored range: they all went by COPY.
    expect(metrics).toMatch(/^kline_gateway_pg_rows_total\{path="copy"\} [1-9]/m);
  }, 120_000);
});

if (skip) it.skip(`PostgreSQL restarted under live ingest — skipped, needs PostgreSQL: ${skip}`);
