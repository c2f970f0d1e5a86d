import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../src/main/config/load-config.js';
import { CANDLE_STRIDE, type Candle } from '../../src/domain/candle.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { IngestWorkerService } from '../../src/ingest/ingest-worker-service.js';
import { setLogLevel } from '../../src/shared/log.js';
import { eachFormingCandle, type FormingBatchMessage } from '../../src/ingest/contract.js';
import type { CommittedMessage } from '../../src/writer/contract.js';
import { InThreadStore } from '../support/in-thread-store.js';
import { waitFor } from '../support/wait.js';
import { fakeBinanceSettings } from '../support/live-ingest.js';

/**
 * The service an ingest worker thread runs, in this thread: real writer (InThreadStore on a
 * SQLite file) behind a real producer port, forming candles on a real MessagePort, the fake
 * exchange over loopback. 1m bars last 300 ms.
 */
const FUT = 'binance:futures:BTC/USDT:1m';
const STREAM = 'btcusdt@kline_1m';
const dir = mkdtempSync(join(tmpdir(), 'kline-gw-ingest-svc-'));
let fake: FakeBinance;
let store: InThreadStore;
let service: IngestWorkerService;
const forming: { seriesId: string; candle: Candle }[] = [];
const commits: CommittedMessage[] = [];
const formingChannel = new MessageChannel();

beforeAll(async () => {
  setLogLevel('silent');
  fake = await FakeBinance.start({ barMs: 300, tickMs: 25, generator: { backfillBars: 50 } });
  store = await InThreadStore.open({ dbPath: join(dir, 'market.db'), synchronous: 'OFF', rowsPerStatement: 100, maxPendingCandles: 100_000 });
  store.onCommitted((msg) => commits.push(msg));
  formingChannel.port1.on('message', (msg: FormingBatchMessage) => eachFormingCandle(msg, (seriesId, candle) => forming.push({ seriesId, candle })));
  const settings = configWith(fakeBinanceSettings(fake, { formingMinIntervalMs: 100 }));
  service = new IngestWorkerService({ index: 0, settings, restBudgetWays: 1 }, formingChannel.port2);
});
afterAll(async () => {
  await service.close().catch(() => undefined);
  await store.close();
  await fake.close();
  formingChannel.port1.close();
  rmSync(dir, { recursive: true, force: true });
  setLogLevel('info');
});

async function storedTimes(): Promise<number[]> {
  const read = await store.between(FUT, 0, Number.MAX_SAFE_INTEGER, 100_000);
  return Array.from({ length: read.data.length / CANDLE_STRIDE }, (_, i) => read.data[i * CANDLE_STRIDE]!);
}

describe('IngestWorkerService', () => {
  it('commits closed candles through its producer port and posts forming candles on the forming port', async () => {
    service.attachWriter(await store.connectProducer('ingest-0'));
    service.start(FUT, null);
    await waitFor(() => commits.filter((c) => c.segments.some((s) => s.seriesId === FUT && s.publish)).length >= 3, 'three published commits', 10_000);
    await waitFor(() => forming.filter((f) => f.seriesId === FUT).length >= 3, 'forming candles', 5_000);
    const bar = fake.generators.futures.history(STREAM).at(-1)!;
    expect(forming.every((f) => f.candle.candle_time > bar.t / 1000 - 600)).toBe(true);
  });

  it('re-sends every unacked batch in order when the writer port is replaced (a restarted writer)', async () => {
    // A writer that died: batches pile up on a port nobody reads, none acked.
    const dead = new MessageChannel();
    service.attachWriter(dead.port1);
    const before = (await storedTimes()).at(-1)!;
    await waitFor(() => service.stats().link.unacked >= 2, 'unacked batches', 10_000);
    const lastKnown = service.stats().series[0]!.lastClosedTime!;
    expect(lastKnown).toBeGreaterThan(before);
    expect((await storedTimes()).at(-1)).toBe(before);

    service.attachWriter(await store.connectProducer('ingest-0'));
    await waitFor(() => service.stats().link.unacked === 0 && service.stats().batcher.pendingCandles === 0, 'acks after the re-send', 10_000);
    await store.flush();
    const times = await storedTimes();
    expect(times.at(-1)).toBeGreaterThanOrEqual(lastKnown);
    expect(service.stats().link.resent).toBeGreaterThanOrEqual(2);
    // Nothing lost across the dead writer: the stored run matches the exchange's bars exactly.
    const history = fake.generators.futures.history(STREAM).filter((b) => b.t / 1000 >= times[0]! && b.t / 1000 <= times.at(-1)!);
    expect(times).toEqual(history.map((b) => b.t / 1000));
    dead.port2.close();
  });

  it('fetches a closed range from REST on its budget and hands it back without storing it', async () => {
    const first = (await storedTimes())[0]!;
    const result = await service.fetchClosed(FUT, first - 10 * 60, first - 60);
    const bars = fake.generators.futures.history(STREAM).filter((b) => b.t / 1000 >= first - 600 && b.t / 1000 < first);
    expect(result.ok).toBe(true);
    expect(result.error).toBeUndefined();
    expect(result.requests).toBe(1);
    expect(Array.from(result.candles)).toEqual(bars.flatMap((b) => [b.t / 1000, +b.o, +b.h, +b.l, +b.c, +b.v]));
    // The main thread's backfill service commits what it asked for; the worker wrote nothing.
    const read = await store.between(FUT, first - 600, first - 60, 100);
    expect(read.data.length).toBe(0);
  });

  it('close() stops the jobs and resolves once every batch is acked', async () => {
    await service.close();
    const count = await store.count(FUT);
    expect(service.stats().link.unacked).toBe(0);
    await new Promise((r) => setTimeout(r, 700));
    expect(await store.count(FUT)).toBe(count);
  });
});
