import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONCURRENT_FILLS } from '../../src/ingest/jobs/hole-fetch-queue.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { exchangeBars, fakeBinanceSettings, ingestState, storedRows } from '../support/live-ingest.js';
import { tempDir } from '../support/temp-dir.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * Issue 15, defect 10: REST gap fill ran 2 requests at a time, so with a 4 s exchange 50 holes
 * took 109 s and 36 series passed the 30 s hold. Now as many fills run as the weight budget pays
 * for (up to MAX_CONCURRENT_FILLS). The exchange's clock is the test's (paused fake): 50 futures
 * series lose 5 bars each while their connection is down, the REST API answers after 4 s, and a
 * new bar closes behind every hole. Counted at the exchange: how many requests were in flight at
 * once, so the time to heal is ceil(50 / that) round trips of 4 s, not a timed assertion.
 */
const SERIES = Array.from({ length: 50 }, (_, i) => `binance:futures:G${i}/USDT:1m`);
const STREAMS = SERIES.map((_, i) => `g${i}usdt@kline_1m`);
const LATENCY_MS = 4000;
const HOLD_S = 30;

describe('gap fill follows the weight budget (50 holes, 4 s exchange)', () => {
  const dir = tempDir('gap-concurrency');
  let fake: FakeBinance;
  let gw: TestGateway;
  let client: WsClient;

  beforeAll(async () => {
    // Mid-bar, so the bars the test advances through are whole ones.
    fake = await FakeBinance.start({ paused: true, startTimeMs: Math.floor(Date.now() / 60_000) * 60_000 + 30_000 });
    const whitelistPath = join(dir, 'whitelist.json');
    writeFileSync(whitelistPath, JSON.stringify({ series_ids: SERIES }));
    // Tail coverage off: the store must hold exactly what the jobs ingested and filled (coverage: tail-coverage*.test.ts).
    gw = await startTestGateway({
      enableWhitelistIngest: true,
      enableTailCoverage: false,
      whitelistPath,
      ingestGapHoldMaxS: HOLD_S,
      ...fakeBinanceSettings(fake),
    });
    client = await WsClient.connect(gw);
    for (const s of SERIES) client.send({ type: 'subscribe', series_id: s, since: null, supports_batch: true });
    await fake.subscribed('futures', STREAMS);
    // Two closes while connected: every job is live and has a last closed bar.
    fake.advance(120_000, 30_000);
    await waitForAsync(async () => (await ingestState(gw)).jobs.every((j) => j.closed >= 2), 'every job to close 2 bars', 20_000);
  });
  afterAll(async () => {
    client?.close();
    await gw?.dispose();
    await fake?.close();
  });

  it(`runs the fills side by side: 50 holes heal in 2 round trips, no series passes the ${HOLD_S} s hold`, async () => {
    fake.dropAll();
    await waitFor(() => fake.connections.size === 0, 'the connections to close');
    // 5 bars close while nobody listens; REST becomes slow.
    fake.advance(5 * 60_000);
    fake.rest.latencyMs = LATENCY_MS;
    await fake.subscribed('futures', STREAMS);
    // Back: a forming update shows every job its hole, then a close that must wait behind it.
    fake.advance(1000);
    fake.advance(60_000, 30_000);
    await waitForAsync(
      async () => {
        for (const s of SERIES) if ((await storedRows(gw, s)).at(-1)?.[0] !== exchangeBars(fake, s).at(-1)![0]) return false;
        return true;
      },
      'every series to reach the exchange',
      60_000,
    );
    const peak = fake.rest.peakInFlight;
    const roundTrips = Math.ceil(SERIES.length / peak);
    const jobs = (await ingestState(gw)).jobs;
    expect(peak).toBeGreaterThanOrEqual(25);
    expect(peak).toBeLessThanOrEqual(MAX_CONCURRENT_FILLS);
    expect((roundTrips * LATENCY_MS) / 1000).toBeLessThan(HOLD_S / 3);
    for (const j of jobs) expect(j, j.series_id).toMatchObject({ hold_bound_hits: 0, unfilled_holes: 0, held: 0 });
    for (const s of SERIES) expect(await storedRows(gw, s), s).toEqual(exchangeBars(fake, s));
    expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);
  }, 90_000);
});
