import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, postBatch, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { exchangeBars, fakeBinanceSettings, storedRows } from '../support/live-ingest.js';
import { sleep, waitForAsync } from '../support/wait.js';
import { CLOSE_GRACE_MS } from '../../src/ingest/jobs/series-job.js';

/**
 * Series health's backfill fields follow a real gap fill: the store is ~4,000 bars behind the
 * fake exchange, an on-demand job starts, finds the hole and fills it from REST in pages of 1,500
 * (each answer held back 600 ms). Health is asked with now_time = the fake's virtual now, so its
 * verdicts never depend on when this machine gets to run the test.
 */
const S = 'binance:futures:BTC/USDT:1m';
const HISTORY_BARS = 4000;
/** Past the fake's close delay (its generator sends a bar's close 200 ms after the bar ends). */
const CLOSE_SETTLED_MS = 300;

interface Seen {
  state: string;
  status: string;
  reason: string;
  missing: number;
  pct: number | null;
  startedAt: number | null;
  updatedAt: number | null;
}

describe('series health during a real gap fill', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  let client: WsClient;
  const nowTime = () => Math.floor(fake.now() / 1000);
  const health = async (now = nowTime()) => (await http(gw.url, 'GET', `/api/market/health?series_id=${encodeURIComponent(S)}&now_time=${now}`)).body;

  beforeAll(async () => {
    fake = await FakeBinance.start({ generator: { backfillBars: HISTORY_BARS }, streams: { futures: ['btcusdt@kline_1m'] } });
    fake.rest.latencyMs = 600;
    // A success counts as recent for an hour here, so the test below does not race the clock.
    // Tail coverage off: health follows the job's own gap fill, which coverage would do first.
    gw = await startTestGateway({
      enableOndemandIngest: true,
      enableTailCoverage: false,
      klineHealthBackfillRecentSeconds: 3600,
      ...fakeBinanceSettings(fake),
    });
  });
  afterAll(async () => {
    client?.close();
    await gw?.dispose();
    await fake?.close();
  });

  it('idle → running (yellow backfill_running, progress moving page by page) → succeeded (green)', async () => {
    const bars = exchangeBars(fake, S);
    const toCandle = (r: number[]) => ({ candle_time: r[0], open: r[1], high: r[2], low: r[3], close: r[4], volume: r[5] });
    expect((await postBatch(gw.url, S, bars.slice(0, 10).map(toCandle))).status).toBe(200);
    const before = await health();
    expect(before).toMatchObject({ head_time: bars[9]![0], status: 'red', status_reason: 'lagging_no_recent_backfill', backfill: { state: 'idle' } });

    // The job's first frame must not come within the close grace after a minute boundary: the bar
    // that just ended would then only be revealed by a later frame (series-job.ts), and the
    // exchange is paused during the fill below, so none would come (seen in CI under load). Start
    // the job a second past the grace.
    fake.pause();
    const into = fake.now() % 60_000;
    const startAt = CLOSE_GRACE_MS + 1_000;
    fake.advance((into <= startAt ? startAt : 60_000 + startAt) - into);
    fake.resume();
    client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: bars[9]![0], supports_batch: true });
    // Poll until the fill has ended (bounded: a stuck fill fails with what was seen).
    const seen: Seen[] = [];
    let paused = false;
    const deadline = Date.now() + 60_000;
    while (seen.at(-1)?.state !== 'succeeded') {
      if (Date.now() > deadline) throw new Error(`the fill did not succeed; last seen ${JSON.stringify(seen.slice(-5))}`);
      const h = await health();
      const b = h.backfill;
      // The fill has started: stop the exchange's clock, so no bar closes during it and the hole
      // it reports cannot grow by a bar at a minute boundary (the REST pages keep coming).
      if (b.state === 'running' && !paused) {
        fake.pause();
        paused = true;
        // Stopped within the fake's close delay after a minute boundary, the bar that just ended
        // would stay unsent while health, asked at that time, counts it closed: never up to date.
        // Move on past the delay, so its close goes out.
        const intoMinute = fake.now() % 60_000;
        if (intoMinute < CLOSE_SETTLED_MS) fake.advance(CLOSE_SETTLED_MS - intoMinute);
      }
      seen.push({
        state: b.state,
        status: h.status,
        reason: h.status_reason,
        missing: b.current_missing_candles,
        pct: b.progress_pct,
        startedAt: b.started_at,
        updatedAt: b.updated_at,
      });
      await sleep(50);
    }

    const running = seen.filter((s) => s.state === 'running');
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((s) => s.status === 'yellow' && s.reason === 'backfill_running')).toBe(true);
    // Moving: at least two pages were seen arrive, missing only ever shrinks, progress only grows.
    const missing = [...new Set(running.map((s) => s.missing))];
    expect(missing.length).toBeGreaterThanOrEqual(2);
    expect(missing).toEqual([...missing].sort((a, b) => b - a));
    expect(running.map((s) => s.pct!)).toEqual(running.map((s) => s.pct!).sort((a, b) => a - b));
    expect(running.every((s) => s.startedAt === running[0]!.startedAt && s.updatedAt! >= s.startedAt!)).toBe(true);

    const done = await health();
    expect(done.backfill).toMatchObject({
      state: 'succeeded',
      progress_pct: 100,
      current_missing_candles: 0,
      current_missing_seconds: 0,
      reason: 'gap_fill',
      error: null,
      recent: true,
      started_at: running[0]!.startedAt,
    });
    // The hole runs from the bar after the store's head to the last bar known closed when the job
    // started: the fake's newest history bar, unless the first frame came within the close grace
    // (that bar then arrives live, or as a later hole).
    expect(done.backfill.start_missing_candles).toBeGreaterThanOrEqual(HISTORY_BARS - 11);
    expect(done.backfill.start_missing_seconds).toBe(done.backfill.start_missing_candles * 60);
    // Once the fill is out, the series is up to date (a bar closing meanwhile: a moment of backfill_recent).
    let last: Record<string, unknown> = {};
    const upToDate = async () => (last = await health()).status_reason === 'up_to_date';
    await waitForAsync(upToDate, 'up_to_date', 10_000).catch((err: Error) => {
      throw new Error(`${err.message}; the last health: ${JSON.stringify({ ...last, now_time: nowTime(), paused_at_ms: fake.now() })}`);
    });
    expect((await storedRows(gw, S)).length).toBeGreaterThan(0);
  });

  it('after the fill: lagging within TRADE_CANVAS_KLINE_HEALTH_BACKFILL_RECENT_SECONDS is yellow backfill_recent, later red', async () => {
    fake.pause(); // no bar closes between the reads below (paused since the fill ran)
    await sleep(300); // a close already on its way lands
    const { head_time: head, backfill } = await health();
    // 150 s after the head's open: its next bar has closed and is not stored (at that now_time).
    expect(await health(head + 150)).toMatchObject({ missing_candles: 1, status: 'yellow', status_reason: 'backfill_recent', backfill: { recent: true } });
    expect(await health(backfill.updated_at + 3601)).toMatchObject({ status: 'red', status_reason: 'lagging_no_recent_backfill', backfill: { recent: false } });
  });
});
