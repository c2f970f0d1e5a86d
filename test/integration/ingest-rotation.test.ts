import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { closedReceived, exchangeBars, fakeBinanceSettings, ingestState, pauseMidBar, storedRows, untilCaughtUp } from '../support/live-ingest.js';
import { waitForAsync } from '../support/wait.js';

/**
 * Binance cuts every connection after 24 h; the gateway rotates before that, make-before-break.
 * Here a connection lives 1.5 s (BINANCE_WS_ROTATE_AFTER_S) while 1m bars last 1 s, so a run
 * of a few seconds goes through several rotations with frames in flight on both sockets. End to
 * end — exchange, ingest worker, writer, hub, WebSocket client — no frame is lost (no hole had
 * to be filled, every close arrived) and none is duplicated (each close once; forming volumes of
 * a bar strictly increase at the client).
 */
const SERIES = ['binance:futures:BTC/USDT:1m', 'binance:futures:ETH/USDT:1m', 'binance:spot:SOL/USDT:1m'];

describe('connection rotation (24 h, simulated)', () => {
  let fake: FakeBinance;
  let gw: TestGateway;

  beforeAll(async () => {
    // Not faster: the 5 s close grace (exchange time) must stay longer than a busy event loop's stall.
    fake = await FakeBinance.start({ barMs: 1000, tickMs: 50 });
    // Tail coverage off: the store must hold exactly what the job ingested (coverage: tail-coverage*.test.ts).
    gw = await startTestGateway({ enableOndemandIngest: true, enableTailCoverage: false, binanceWsRotateAfterS: 1.5, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('rotates several times without losing or duplicating a frame', async () => {
    const client = await WsClient.connect(gw);
    for (const s of SERIES) client.send({ type: 'subscribe', series_id: s, since: null, supports_batch: false });
    const rotations = async () => (await ingestState(gw)).workers.flatMap((w) => w.connections).map((c: any) => c.rotations as number);
    await waitForAsync(
      async () => {
        const r = await rotations();
        return r.length === 2 && r.every((n) => n >= 3);
      },
      'three rotations of each connection',
      30_000,
    );

    await pauseMidBar(fake);
    try {
      await untilCaughtUp(fake, gw, SERIES, [[client, SERIES]]);

      for (const s of SERIES) {
        const stored = await storedRows(gw, s);
        expect(stored.length, s).toBeGreaterThanOrEqual(5);
        expect(stored, s).toEqual(exchangeBars(fake, s));
        expect(closedReceived(client, s), s).toEqual(stored);
        // Forming: per bar, each update the client got is newer than the one before (volume only grows).
        const forming = client.messages.filter((m) => m.type === 'candle_forming' && m.series_id === s).map((m) => m.candle);
        for (let i = 1; i < forming.length; i++) {
          if (forming[i].candle_time === forming[i - 1].candle_time) expect(forming[i].volume, s).toBeGreaterThan(forming[i - 1].volume);
          else expect(forming[i].candle_time, s).toBeGreaterThan(forming[i - 1].candle_time);
        }
      }
      expect(client.messages.filter((m) => m.type === 'gap' || m.type === 'error')).toEqual([]);
      const state = await ingestState(gw);
      for (const j of state.jobs) expect(j, j.series_id).toMatchObject({ reconnects: 0, missing_bars: 0, gap_fills: 0 });
      for (const c of state.workers.flatMap((w) => w.connections)) {
        expect(c).toMatchObject({ reconnects: 0 });
        // Both sockets of an overlap delivered the same frames; the copies were dropped.
        expect(c.duplicates_dropped).toBeGreaterThan(0);
      }
    } finally {
      fake.resume();
    }
    client.close();
  });
});
