import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCandles } from '../../src/domain/candle.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { closedReceived, exchangeBars, fakeBinanceSettings, jobOf, type Row } from '../support/live-ingest.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * The `beforeJobStart` hook is where the history bootstrap plugs in: it runs before a job
 * starts, and whatever it imports moves the store head, so the job's REST fill covers only the
 * file's end → now. Here a stand-in "import" writes the exchange's first 40 bars (of 100).
 */
const S = 'binance:futures:BTC/USDT:1m';

describe('beforeJobStart (history bootstrap hook)', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  const calls: string[] = [];

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 1000, tickMs: 100, generator: { backfillBars: 100 } });
    // The stream and its 100 past bars exist from its first REST use.
    await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1`);
    // Tail coverage off: the hook under test must be what decides the store head at job start.
    gw = await startTestGateway(
      { enableOndemandIngest: true, enableTailCoverage: false, ...fakeBinanceSettings(fake) },
      {
        beforeJobStart: (core) => async (seriesId) => {
          calls.push(seriesId);
          await new Promise((r) => setTimeout(r, 200)); // an import takes a while
          const file = exchangeBars(fake, seriesId).slice(0, 40);
          await core.store.write(
            [{ seriesId, data: packCandles(file.map(([t, o, h, l, c, v]) => ({ candle_time: t, open: o, high: h, low: l, close: c, volume: v }))) }],
            { publish: false },
          );
        },
      },
    );
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('runs before the job; the subscriber gets the imported history, then the REST fill from its end, then live — no gap', async () => {
    const bars = exchangeBars(fake, S);
    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    await waitForAsync(async () => (await jobOf(gw, S))?.running === true, 'the job to run', 15_000);
    expect(calls).toEqual([S]);
    await waitFor(() => closedReceived(client, S).length >= bars.length + 2, 'history, fill and two live closes', 20_000);

    const got: Row[] = closedReceived(client, S);
    const all = exchangeBars(fake, S);
    expect(got).toEqual(all.slice(0, got.length));
    expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);
    // The job's REST fill started right after the imported bars.
    const fills = fake.rest.log.filter((e) => e.params.symbol === 'BTCUSDT' && e.params.startTime !== undefined);
    expect(Number(fills[0]!.params.startTime) / 1000).toBe(bars[40]![0]);
    client.close();
  });
});
