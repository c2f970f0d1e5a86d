import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configWith } from '../../../src/main/config/load-config.js';
import { BackfillService } from '../../../src/main/holes/backfill-service.js';
import { HolesMetrics } from '../../../src/main/holes/holes-metrics.js';
import { TailCoverage, tailCoverageEnabled } from '../../../src/main/holes/tail-coverage.js';
import { IngestWorkerService } from '../../../src/ingest/ingest-worker-service.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { timesOf } from '../../support/candles.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import { exchangeBars, fakeBinanceSettings } from '../../support/live-ingest.js';
import { useTempDir } from '../../support/temp-dir.js';

/**
 * TailCoverage's own rules with real parts (a SQLite store in this thread, an ingest worker's
 * service in this thread asking the fake over loopback), its clock driven by the test: a covered
 * series whose head falls behind is topped up with only the missing bars, a series whose head
 * keeps up is not asked about, and the queue bound refuses (and counts) what does not fit.
 */
const S = 'binance:spot:TOP/USDT:1m';
const STREAM = 'topusdt@kline_1m';
const TAIL = 100;

describe('TailCoverage', () => {
  const tempDir = useTempDir();
  let fake: FakeBinance;
  let worker: IngestWorkerService;
  let store: InThreadStore;
  let clock: ManualClock;
  let metrics: HolesMetrics;

  beforeAll(async () => {
    setLogLevel('silent');
    // Paused: the exchange moves on only when the test advances it.
    fake = await FakeBinance.start({ paused: true, autoCreate: false, generator: { backfillBars: 300 }, streams: { spot: [STREAM] } });
    worker = new IngestWorkerService({ index: 0, settings: configWith(fakeBinanceSettings(fake)), restBudgetWays: 1 }, { postMessage: () => undefined });
  });
  afterAll(async () => {
    await worker.close();
    await fake.close();
    setLogLevel('info');
  });
  beforeEach(async () => {
    store = await InThreadStore.open({ dbPath: join(tempDir(), 'market.db'), synchronous: 'OFF', rowsPerStatement: 100, maxPendingCandles: 100_000 });
    clock = new ManualClock();
    metrics = new HolesMetrics();
  });
  afterEach(async () => {
    fake.rest.latencyMs = 0;
    await store.close();
  });

  const coverage = (maxPending = 10) => {
    const backfill = new BackfillService({ store, readLimit: 5000, clock });
    backfill.connectExchange(worker);
    const settings = { tailCandles: TAIL, tailCoverageWaitMs: 10_000, tailCoverageMaxPending: maxPending, tailCoverageRetryS: 30 };
    return new TailCoverage({ store, backfill, history: null, settings, metrics, clock });
  };
  const stored = async () => timesOf((await store.tail(S, 1000)).data);
  const requests = () => fake.rest.log.filter((e) => e.params.symbol === 'TOPUSDT');

  it('is on by default exactly when live ingest is', () => {
    expect(tailCoverageEnabled(configWith({}))).toBe(false);
    expect(tailCoverageEnabled(configWith({ enableOndemandIngest: true }))).toBe(true);
    expect(tailCoverageEnabled(configWith({ enableWhitelistIngest: true }))).toBe(true);
    expect(tailCoverageEnabled(configWith({ enableOndemandIngest: true, enableTailCoverage: false }))).toBe(false);
    expect(tailCoverageEnabled(configWith({ enableTailCoverage: true }))).toBe(true);
  });

  it('tops up only the bars a covered series fell behind by; asks nothing while its head keeps up', async () => {
    const tail = coverage();
    await tail.ensure(S);
    expect(await stored()).toEqual(
      exchangeBars(fake, S)
        .slice(-TAIL)
        .map((r) => r[0]),
    );
    const first = requests().length;

    // Within the same bar: nothing is due, not even a store read.
    clock.advance(30_000);
    expect(tail.beforeRead(S)).toBeUndefined();

    // The exchange moves on five bars while nobody ingests: the next read tops up those five.
    const head = (await stored()).at(-1)!;
    fake.advance(5 * 60_000, 60_000); // five bars of exchange time, exactly, whatever the machine's load
    clock.advance(10 * 60_000);
    await tail.beforeRead(S);
    const bars = exchangeBars(fake, S);
    expect(await stored()).toEqual(bars.slice(-(TAIL + (bars.at(-1)![0] - head) / 60)).map((r) => r[0]));
    expect(
      requests()
        .slice(first)
        .map((e) => [e.params.limit, e.params.endTime ?? null]),
    ).toEqual([['101', null]]);

    // Its head now keeps up with the exchange's clock (as a running job's closes would): not asked.
    clock.advance(60_000);
    await tail.beforeRead(S);
    expect(requests().length).toBe(first + 1);
  });

  it('the queue bound: a series beyond it is read as stored, counted', async () => {
    const tail = coverage(1);
    fake.rest.latencyMs = 200;
    const running = tail.ensure(S);
    await tail.ensure('binance:spot:OTHER/USDT:1m');
    expect(metrics.refused).toBe(1);
    expect(metrics.pending).toBe(1);
    await running;
    expect(metrics.pending).toBe(0);
    expect(fake.rest.log.some((e) => e.params.symbol === 'OTHERUSDT')).toBe(false);
  });
});
