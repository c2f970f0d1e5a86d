import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { closedReceived, fakeBinanceSettings, jobOf } from '../support/live-ingest.js';
import { captureStdoutLogs } from '../support/stdout-logs.js';
import { waitFor } from '../support/wait.js';

/**
 * A hole REST cannot fill is data, not an error (sources.md): the held candles go out, the hub
 * announces `gap`, and the ingest worker logs why. Reconnects wait ≥ 1 s while 1m bars last
 * 400 ms, so every dropped connection costs a few bars.
 */
const S = 'binance:futures:BTC/USDT:1m';
const STREAM = 'btcusdt@kline_1m';
const DAY_MS = 86_400_000;

describe('a hole REST cannot fill', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  let client: WsClient;
  const logs = captureStdoutLogs();

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 400, tickMs: 25 });
    // Tail coverage off: the store must hold exactly what the job ingested (coverage: tail-coverage*.test.ts).
    gw = await startTestGateway({
      enableOndemandIngest: true,
      enableTailCoverage: false,
      ...fakeBinanceSettings(fake, { binanceWsReconnectMinMs: 1500, binanceWsReconnectMaxMs: 1500 }),
    });
    client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: null, supports_batch: false });
    await waitFor(() => closedReceived(client, S).length >= 2, 'two closes before the faults', 15_000);
  });
  afterAll(async () => {
    logs.restore();
    client?.close();
    await gw?.dispose();
    await fake?.close();
  });

  /** Drops the connection and waits for the `gap` the subscriber gets afterwards. */
  async function dropAndExpectGap(): Promise<{ gap: any; after: any }> {
    const seen = client.messages.length;
    const lastBefore = closedReceived(client, S).at(-1)![0];
    fake.dropAll();
    await waitFor(() => client.messages.slice(seen).some((m) => m.type === 'gap'), 'a gap frame', 20_000);
    const i = client.messages.findIndex((m, k) => k >= seen && m.type === 'gap');
    await waitFor(() => client.messages.slice(i + 1).some((m) => m.type === 'candle_closed'), 'the close after the gap', 5_000);
    const gap = client.messages[i];
    expect(gap.expected_next_time).toBe(lastBefore + 60);
    return { gap, after: client.messages.slice(i + 1).find((m) => m.type === 'candle_closed') };
  }

  it('the exchange has no data for the hole: held candles go out, subscribers get a gap, the worker logs it', async () => {
    fake.rest.addHole('futures', STREAM, fake.now() - DAY_MS, fake.now() + DAY_MS);
    const { gap, after } = await dropAndExpectGap();
    expect(after.candle.candle_time).toBe(gap.actual_time);
    expect(gap.actual_time).toBeGreaterThan(gap.expected_next_time);
    // The store has the same hole: nothing invented.
    const read = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&since=${gap.expected_next_time - 60}&limit=1`);
    expect(read.body.candles.map((c: any) => c.candle_time)).toEqual([gap.actual_time]);
    // The worker's log line travels its own way (the log thread): it can land after the gap frame.
    const isLine = (l: (typeof logs.lines)[number]) => l.msg === 'hole not filled from REST; subscribers get a gap' && l.seriesId === S;
    await waitFor(() => logs.lines.some(isLine), "the worker's log line");
    const line = logs.lines.find(isLine);
    expect(line).toMatchObject({ level: 'warn', component: 'ingest', reason: 'the exchange returned no data for it' });
    expect(line!.missing[0][0]).toBe(gap.expected_next_time);
    expect(await jobOf(gw, S)).toMatchObject({ unfilled_holes: 1, gap_fill_errors: 0 });
    fake.rest.clearHoles();
  });

  it('REST keeps failing (HTTP 500 after retries): the same, with the error as the reason', async () => {
    fake.rest.failNext(10_000, 500, 0);
    const { gap } = await dropAndExpectGap();
    expect(gap.actual_time).toBeGreaterThan(gap.expected_next_time);
    const isLine = (l: (typeof logs.lines)[number]) =>
      l.msg === 'hole not filled from REST; subscribers get a gap' && l.seriesId === S && l.reason !== 'the exchange returned no data for it';
    await waitFor(() => logs.lines.some(isLine), "the worker's log line");
    const line = logs.lines.find(isLine);
    expect(line?.reason).toMatch(/^http: HTTP 500/);
    expect(logs.lines.some((l) => l.msg === 'gap fill stopped' && l.code === 'http')).toBe(true);
    expect(await jobOf(gw, S)).toMatchObject({ unfilled_holes: 2, gap_fill_errors: expect.any(Number) });
    fake.rest.failNext(0);
  });
});
