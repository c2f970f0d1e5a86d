import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { exchangeBars, fakeBinanceSettings, ingestState, storedRows } from '../support/live-ingest.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * Binance's REST limits are per IP, and calling inside a Retry-After gets the IP banned (418).
 * When an ingest worker is told 429 + Retry-After, every other thread of the process — the main
 * thread's market list here — must hold off too (src/exchange/binance/shared-rest-block.ts).
 * Before, only the told thread waited: the market list called at once and the fake banned the IP.
 */
const S = 'binance:futures:RA/USDT:1m';
const RETRY_AFTER_S = 2;

describe('a Retry-After told to one thread holds every thread', () => {
  const dir = tempDir('retry-after');
  let fake: FakeBinance;
  let gw: TestGateway;
  let client: WsClient;

  beforeAll(async () => {
    fake = await FakeBinance.start({ paused: true, startTimeMs: Math.floor(Date.now() / 60_000) * 60_000 + 30_000 });
    const whitelistPath = join(dir, 'whitelist.json');
    writeFileSync(whitelistPath, JSON.stringify({ series_ids: [S] }));
    // Tail coverage off: the one REST call of interest is the job's own hole fill.
    gw = await startTestGateway({ enableWhitelistIngest: true, enableTailCoverage: false, whitelistPath, ...fakeBinanceSettings(fake) });
    client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: null, supports_batch: true });
    await fake.subscribed('futures', ['rausdt@kline_1m']);
    fake.advance(120_000, 30_000);
    await waitForAsync(async () => (await ingestState(gw)).jobs.every((j) => j.closed >= 2), 'the job to close 2 bars');
  });
  afterAll(async () => {
    client?.close();
    await gw?.dispose();
    await fake?.close();
  });

  it('the market list does not call the exchange while an ingest worker waits out a 429; nobody gets banned', async () => {
    fake.rest.failNext(1, 429, RETRY_AFTER_S);
    const before = fake.rest.log.length;
    // A hole: the worker's fill meets the 429.
    fake.dropAll();
    await waitFor(() => fake.connections.size === 0, 'the connection to close');
    fake.advance(3 * 60_000);
    await fake.subscribed('futures', ['rausdt@kline_1m']);
    fake.advance(1000);
    // The worker has read the 429 (not just the fake sent it): its REST counters say so.
    await waitForAsync(async () => (await ingestState(gw)).workers.some((w: any) => w.rest?.futures.rateLimited > 0), "the worker's 429");

    const tickerCalls = fake.marketData.calls('ticker24h', 'futures');
    const list = await http(gw.url, 'GET', '/api/market/top_markets?exchange=binance&market=futures&force=1');
    expect(list.status).toBe(502);
    expect(list.body.message).toMatch(/^upstream_error:.*rate limited, retry after/);
    expect(fake.marketData.calls('ticker24h', 'futures')).toBe(tickerCalls); // it held off

    // After the Retry-After the worker fills its hole; the exchange never had to ban us.
    await waitForAsync(async () => (await storedRows(gw, S)).at(-1)?.[0] === exchangeBars(fake, S).at(-1)![0], 'the hole filled');
    expect(fake.rest.log.slice(before).filter((e) => e.status === 418)).toEqual([]);
    expect((await http(gw.url, 'GET', '/api/market/top_markets?exchange=binance&market=futures')).status).toBe(200);
  });
});
