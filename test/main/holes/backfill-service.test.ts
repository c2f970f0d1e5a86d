import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configWith } from '../../../src/main/config/load-config.js';
import { BackfillService } from '../../../src/main/holes/backfill-service.js';
import { IngestWorkerService } from '../../../src/ingest/ingest-worker-service.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { setLogLevel } from '../../../src/shared/log.js';
import type { CommittedMessage } from '../../../src/writer/contract.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { timesOf } from '../../support/candles.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import { exchangeBars, fakeBinanceSettings, type Row } from '../../support/live-ingest.js';
import { useTempDir } from '../../support/temp-dir.js';

/**
 * The backfill service with real parts: a SQLite store (in this thread) and an ingest worker's service (in this thread) asking the fake exchange over loopback. The
 * fake is paused: its history does not move while a test runs.
 */
const S = 'binance:spot:ETH/USDT:1m';
const STREAM = 'ethusdt@kline_1m';

describe('BackfillService', () => {
  const tempDir = useTempDir();
  let fake: FakeBinance;
  let worker: IngestWorkerService;
  let store: InThreadStore;
  let service: BackfillService;
  let commits: CommittedMessage[];
  let bars: Row[];

  beforeAll(async () => {
    setLogLevel('silent');
    fake = await FakeBinance.start({ generator: { backfillBars: 120 } });
    fake.generators.spot.addStream(STREAM, fake.now());
    fake.pause();
    bars = exchangeBars(fake, S);
    worker = new IngestWorkerService({ index: 0, settings: configWith(fakeBinanceSettings(fake)), restBudgetWays: 1 }, { postMessage: () => undefined });
  });
  afterAll(async () => {
    await worker.close();
    await fake.close();
    setLogLevel('info');
  });

  const open = async (maxPendingCandles = 100_000) => {
    store = await InThreadStore.open({ dbPath: join(tempDir(), 'market.db'), synchronous: 'OFF', rowsPerStatement: 100, maxPendingCandles });
    commits = [];
    store.onCommitted((msg) => commits.push(msg));
    service = new BackfillService({ store, readLimit: 5000 });
  };
  beforeEach(() => {
    fake.rest.log.length = 0;
    fake.rest.latencyMs = 0;
  });
  afterEach(async () => {
    await store?.close();
  });

  const write = (rows: Row[]) => store.write([{ seriesId: S, data: Float64Array.from(rows.flat()) }], { publish: false }).then(() => (commits.length = 0));
  /** The hole between bars[a] and bars[b]. */
  const hole = (a: number, b: number) => ({ expectedNext: bars[a]![0] + 60, actual: bars[b]![0] });
  const rows = (packedCandles: Float64Array): Row[] =>
    Array.from({ length: packedCandles.length / 6 }, (_, i) => [...packedCandles.subarray(i * 6, i * 6 + 6)] as Row);

  it('answers from the store when it holds the whole hole, without asking the exchange', async () => {
    await open();
    service.connectExchange(worker);
    await write(bars.slice(0, 40));
    expect(rows(await service.fillHole(S, hole(9, 30)))).toEqual(bars.slice(10, 30));
    expect(fake.rest.log).toEqual([]);
  });

  it('fetches what the store lacks, commits it unpublished, then hands out store and exchange candles', async () => {
    await open();
    service.connectExchange(worker);
    await write([...bars.slice(0, 10), ...bars.slice(15, 18), ...bars.slice(30, 40)]);
    const got = await service.fillHole(S, hole(9, 30));
    expect(rows(got)).toEqual(bars.slice(10, 30));
    expect(fake.rest.log).toHaveLength(1);
    expect(commits.flatMap((c) => c.segments.map((s) => [s.seriesId, s.publish]))).toEqual([[S, false]]);
    const stored = await store.between(S, bars[10]![0], bars[29]![0], 100);
    expect(rows(stored.data)).toEqual(bars.slice(10, 30));
  });

  it('shares one fetch between concurrent fills of the same hole', async () => {
    await open();
    service.connectExchange(worker);
    await write([...bars.slice(0, 10), ...bars.slice(30, 40)]);
    fake.rest.latencyMs = 100;
    const all = await Promise.all(Array.from({ length: 5 }, () => service.fillHole(S, hole(9, 30))));
    for (const got of all) expect(timesOf(got)).toEqual(bars.slice(10, 30).map((r) => r[0]));
    expect(fake.rest.log).toHaveLength(1);
  });

  it('without an exchange (no live ingest) the store is all there is', async () => {
    await open();
    await write([...bars.slice(0, 10), ...bars.slice(20, 30)]);
    expect(rows(await service.fillHole(S, hole(9, 20)))).toEqual([]);
    expect(fake.rest.log).toEqual([]);
  });

  it('a series Binance cannot serve is read from the store only', async () => {
    await open();
    service.connectExchange(worker);
    const X = 'okx:spot:ETH/USDT:1m';
    await store.write([{ seriesId: X, data: Float64Array.from([...bars[0]!, ...bars[5]!]) }], { publish: false });
    expect(await service.fillHole(X, hole(0, 5))).toEqual(new Float64Array(0));
    expect(fake.rest.log).toEqual([]);
  });

  it('hands out nothing the store refused: a failed commit leaves only what was stored', async () => {
    // A writer queue bound below the 20 candles the fill fetches: the commit is refused (overloaded).
    await open(15);
    service.connectExchange(worker);
    for (const part of [bars.slice(0, 10), bars.slice(12, 13), bars.slice(30, 40)]) await write(part);
    const got = await service.fillHole(S, hole(9, 30));
    expect(rows(got)).toEqual(bars.slice(12, 13));
    expect(fake.rest.log).toHaveLength(1);
    expect(commits).toEqual([]);
  });

  it('stops waiting after its bound and goes on with the store; the fetch still lands', async () => {
    await open();
    const clock = new ManualClock();
    service = new BackfillService({ store, readLimit: 5000, waitMs: 10_000, clock });
    service.connectExchange(worker);
    await write([...bars.slice(0, 10), ...bars.slice(30, 40)]);
    fake.rest.latencyMs = 2_000; // real ms: the answer cannot come before the test moves the clock
    const fill = service.fillHole(S, hole(9, 30));
    await expect.poll(() => clock.pending(), { timeout: 1_000 }).toBe(1);
    clock.advance(10_000);
    expect(await fill).toEqual(new Float64Array(0));
    await expect
      .poll(async () => timesOf((await store.between(S, bars[10]![0], bars[29]![0], 100)).data), { timeout: 5_000 })
      .toEqual(bars.slice(10, 30).map((r) => r[0]));
  });
});
