import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { closedReceived, exchangeBars, fakeBinanceSettings, jobOf } from '../support/live-ingest.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * History bootstrap + live ingest, both real: a freqtrade datadir holds the series' first 40 bars
 * (of the 100 the exchange has); an on-demand subscribe imports the file before the job starts,
 * the job fills file end → now from REST, and the subscriber gets one gap-free run. Tail coverage
 * (on by default with ingest) would fetch file end → now itself before the job starts; it is off
 * here so the job's own fill is what is tested (tail-coverage.test.ts covers file + REST).
 */
const S = 'binance:futures:BTC/USDT:1m';

describe('freqtrade history, then live ingest', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  const datadir = mkdtempSync(join(tmpdir(), 'kline-gw-datadir-'));

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 1000, tickMs: 100, generator: { backfillBars: 100 } });
    await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1`);
    mkdirSync(join(datadir, 'futures'));
    const file = exchangeBars(fake, S)
      .slice(0, 40)
      .map(([t, o, h, l, c, v]) => [t * 1000, o, h, l, c, v]);
    writeFileSync(join(datadir, 'futures', 'BTC_USDT_USDT-1m-futures.json'), JSON.stringify(file));
    gw = await startTestGateway({
      enableOndemandIngest: true,
      enableTailCoverage: false,
      historySource: 'freqtrade',
      freqtradeDatadir: datadir,
      ...fakeBinanceSettings(fake),
    });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
    rmSync(datadir, { recursive: true, force: true });
  });

  it('imports the file before the job starts; REST fills from its end; the subscriber sees no gap', async () => {
    const bars = exchangeBars(fake, S);
    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    await waitForAsync(async () => (await jobOf(gw, S))?.running === true, 'the job to run', 15_000);
    await waitFor(() => closedReceived(client, S).length >= bars.length + 2, 'history, fill and two live closes', 20_000);
    const got = closedReceived(client, S);
    expect(got).toEqual(exchangeBars(fake, S).slice(0, got.length));
    expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);
    const fills = fake.rest.log.filter((e) => e.params.symbol === 'BTCUSDT' && e.params.startTime !== undefined);
    expect(Number(fills[0]!.params.startTime) / 1000).toBe(bars[40]![0]);
    client.close();
  });
});
