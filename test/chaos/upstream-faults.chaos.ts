import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { fakeBinanceSettings, ingestState, pauseMidBar } from '../support/live-ingest.js';
import { waitForAsync } from '../support/wait.js';
import { report, sized } from './support/chaos-run.js';
import { ingestLoss, unannouncedHoles } from './support/ingest-accounting.js';

/**
 * Probe 7: upstream faults. The fake exchange (a 1m bar every 500 ms) drops every connection,
 * stalls, announces a shutdown, and while the gateway fills the holes that leaves, its REST API
 * answers slowly, with 429 + Retry-After, 418 (a ban) or 5xx. After each fault the gateway must
 * reconnect and close bars again; after all of them, with the exchange paused, the store holds
 * every bar the exchange closed (values included) and no subscriber saw a hole that was not
 * announced with `gap`, nor a candle twice or out of order.
 */
const SERIES = ['BTC', 'ETH', 'SOL', 'BNB'].flatMap((b) => [`binance:futures:${b}/USDT:1m`, `binance:spot:${b}/USDT:1m`]);
const REPEAT = sized(2, 1);

interface Fault {
  readonly name: string;
  /** Sets the REST fault up (before the drop that makes holes), or undefined. */
  readonly rest?: (fake: FakeBinance) => void;
  /** Breaks the streams; returns how many connections it hit. */
  readonly stream: (fake: FakeBinance) => number;
  /** A warned shutdown is met make-before-break: no reconnect is counted. */
  readonly noReconnect?: boolean;
}

const drop = (fake: FakeBinance) => fake.dropAll();
const FAULTS: Fault[] = [
  { name: 'drop', stream: drop },
  { name: 'stall 2.5 s (silence watchdog)', stream: (f) => f.silence(2500) },
  { name: 'serverShutdown, closed after 300 ms', stream: (f) => f.serverShutdown(300), noReconnect: true },
  { name: 'drop + REST 2 s slow', rest: (f) => (f.rest.latencyMs = 2000), stream: drop },
  { name: 'drop + REST 429 x3 (Retry-After 1 s)', rest: (f) => f.rest.failNext(3, 429, 1), stream: drop },
  { name: 'drop + REST 418 (ban, Retry-After 2 s)', rest: (f) => f.rest.failNext(1, 418, 2), stream: drop },
  { name: 'drop + REST 503 x2', rest: (f) => f.rest.failNext(2, 503, 0), stream: drop },
  { name: 'drop + REST 503 x6 (past the client retries)', rest: (f) => f.rest.failNext(6, 503, 0), stream: drop },
];

describe('probe: upstream faults', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  let batchClient: WsClient;
  let streamClient: WsClient;

  beforeAll(async () => {
    // A ban that outlasts a hold would leave holes by design; 10 s keeps the probe bounded.
    fake = await FakeBinance.start({ barMs: 500, tickMs: 50, rest: { banSeconds: 10 } });
    gw = await startTestGateway({
      enableOndemandIngest: true,
      ingestWorkers: 2,
      binanceWsSilenceTimeoutS: 1,
      // Reconnects take 2-3 bars, so every cut leaves a hole for REST to fill.
      ...fakeBinanceSettings(fake, { binanceWsReconnectMinMs: 1000, binanceWsReconnectMaxMs: 1500 }),
    });
    batchClient = await WsClient.connect(gw);
    streamClient = await WsClient.connect(gw, '?encoding=msgpack');
    for (const s of SERIES) {
      batchClient.send({ type: 'subscribe', series_id: s, since: null, supports_batch: true });
      streamClient.send({ type: 'subscribe', series_id: s, since: null, supports_batch: false });
    }
  });
  afterAll(async () => {
    batchClient?.close();
    streamClient?.close();
    await gw?.dispose();
    await fake?.close();
  });

  /** Every job reconnected `reconnects` times, holds nothing, and closed 2 more bars since `before`. */
  async function recovered(reconnects: number, before: Map<string, number>): Promise<void> {
    await waitForAsync(
      async () => (await ingestState(gw)).jobs.every((j) => j.reconnects >= reconnects && j.held === 0 && j.closed >= (before.get(j.series_id) ?? 0) + 2),
      `every job to reconnect (${reconnects}) and close bars again`,
      60_000,
    );
  }
  const closedNow = async () => new Map((await ingestState(gw)).jobs.map((j) => [j.series_id, j.closed as number]));

  it(`${FAULTS.length} kinds of fault × ${REPEAT}: 0 missing candles in the store, no unannounced hole`, async () => {
    await waitForAsync(
      async () => {
        const jobs = (await ingestState(gw)).jobs;
        return jobs.length === SERIES.length && jobs.every((j) => j.running && j.closed >= 2);
      },
      'every job to run and close bars',
      30_000,
    );
    let reconnects = 0;
    for (let r = 0; r < REPEAT; r++) {
      for (const fault of FAULTS) {
        const before = await closedNow();
        fault.rest?.(fake);
        expect(fault.stream(fake), fault.name).toBeGreaterThan(0);
        if (!fault.noReconnect) reconnects++;
        await recovered(reconnects, before);
        fake.rest.latencyMs = 0;
        fake.rest.failNext(0);
        const state = await ingestState(gw);
        report('upstream-faults', fault.name, {
          reconnects: state.jobs.reduce((n, j) => n + j.reconnects, 0),
          gap_fills: state.jobs.reduce((n, j) => n + j.gap_fills, 0),
          gap_fill_errors: state.jobs.reduce((n, j) => n + j.gap_fill_errors, 0),
          unfilled_holes: state.jobs.reduce((n, j) => n + j.unfilled_holes, 0),
          hold_bound_hits: state.jobs.reduce((n, j) => n + j.hold_bound_hits, 0),
          rest_statuses: JSON.stringify(countBy(fake.rest.log.map((e) => e.status))),
        });
      }
    }

    await pauseMidBar(fake);
    try {
      const loss = await ingestLoss(fake, gw, SERIES, [
        [batchClient, SERIES],
        [streamClient, SERIES],
      ]);
      const seen = [batchClient, streamClient].flatMap((c) => SERIES.map((s) => unannouncedHoles(c, s)));
      const sum = (k: keyof (typeof seen)[number]) => seen.reduce((n, x) => n + x[k], 0);
      report('upstream-faults', 'after all faults', {
        faults: FAULTS.length * REPEAT,
        series: SERIES.length,
        caught_up: loss.caughtUp,
        exchange_bars: loss.expected,
        missing: loss.missing,
        wrong_values: loss.wrong,
        closed_delivered: sum('closed'),
        gaps_announced: sum('gaps'),
        unannounced_holes: sum('unannounced'),
        out_of_order_or_repeated: sum('disorder'),
      });
      expect(loss.examples).toEqual([]);
      expect(sum('unannounced')).toBe(0);
      expect(sum('disorder')).toBe(0);
    } finally {
      fake.resume();
    }
  });
});

function countBy(values: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
