import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerStore } from '../../src/main/store/worker-store.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { closedReceived, exchangeBars, fakeBinanceSettings, ingestState, pauseMidBar, storedRows, untilCaughtUp } from '../support/live-ingest.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * The writer thread dies while ingest runs: the store restarts it, the supervisor hands every
 * ingest worker a new producer port, and the batches the dead writer had not acknowledged are
 * sent again. Nothing is lost, nothing reaches a subscriber twice or out of order.
 */
const SERIES = ['binance:futures:BTC/USDT:1m', 'binance:spot:ETH/USDT:1m'];

describe('writer restart under live ingest', () => {
  let fake: FakeBinance;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 400, tickMs: 50 });
    // Tail coverage off: the store must hold exactly what the job ingested (coverage: tail-coverage*.test.ts).
    gw = await startTestGateway({ enableOndemandIngest: true, enableTailCoverage: false, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('re-sends unacknowledged batches to the new writer: store and subscriber stay complete', async () => {
    const client = await WsClient.connect(gw);
    for (const s of SERIES) client.send({ type: 'subscribe', series_id: s, since: null, supports_batch: true });
    await waitFor(() => SERIES.every((s) => closedReceived(client, s).length >= 3), 'three closes per series', 20_000);

    // The writer thread is private to the store; the test kills the real one.
    const writer = (gw.store as WorkerStore).thread!;
    await writer.terminate();
    await waitForAsync(
      async () => (await http(gw.url, 'GET', '/readyz')).status === 200 && (gw.store as WorkerStore).thread !== writer,
      'the writer to be back',
      15_000,
    );
    const after = new Map(SERIES.map((s) => [s, closedReceived(client, s).length]));
    await waitFor(() => SERIES.every((s) => closedReceived(client, s).length >= after.get(s)! + 3), 'three closes after the restart', 20_000);

    await pauseMidBar(fake);
    try {
      await untilCaughtUp(fake, gw, SERIES, [[client, SERIES]]);
      for (const s of SERIES) {
        const stored = await storedRows(gw, s);
        expect(stored, s).toEqual(exchangeBars(fake, s));
        expect(closedReceived(client, s), s).toEqual(stored);
      }
      expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);
      const workers = (await ingestState(gw)).workers;
      expect(workers[0].writer_link.attaches).toBe(2);
    } finally {
      fake.resume();
    }
    client.close();
  });
});
