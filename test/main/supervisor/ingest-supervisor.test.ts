import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../../src/main/config/load-config.js';
import { CANDLE_STRIDE, packCandles } from '../../../src/domain/candle.js';
import { parseSeriesId } from '../../../src/domain/series-id.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import { IngestSupervisor } from '../../../src/main/supervisor/ingest-supervisor.js';
import { ingestWorkerClients, workerIndexOf } from '../../../src/main/supervisor/worker-assignment.js';
import { waitFor, waitForAsync } from '../../support/wait.js';

/**
 * The supervisor with its real worker threads (two), a real writer on a SQLite file (in-thread
 * store: the producer ports are real MessagePorts into the worker threads) and the fake exchange
 * over loopback (1m bars of 300 ms). The idle TTL runs on a manual clock, so it is exact.
 */
const TTL_S = 60;
const W = 'binance:futures:XRP/USDT:1m';
const dir = mkdtempSync(join(tmpdir(), 'kline-gw-supervisor-'));
let fake: FakeBinance;
let store: InThreadStore;
let supervisor: IngestSupervisor;
const clock = new ManualClock(Date.now());
const forming = new Map<string, number>();
/** The history bootstrap's "imported" event, as src/main/history/bootstrapper.ts emits it. */
let imported: ((seriesId: string, lastTime: number) => void) | undefined;

/** Distinct futures series; `onWorker` picks ones pinned to a given worker. */
const candidates = ['BTC', 'ETH', 'SOL', 'BNB', 'ADA', 'DOGE', 'DOT', 'LTC', 'LINK', 'AVAX', 'ATOM', 'TRX'].map((c) => `binance:futures:${c}/USDT:1m`);
const onWorker = (index: number) => candidates.filter((s) => workerIndexOf(s, 2) === index);

beforeAll(async () => {
  setLogLevel('silent');
  fake = await FakeBinance.start({ barMs: 300, tickMs: 25, generator: { backfillBars: 30 } });
  store = await InThreadStore.open({ dbPath: join(dir, 'market.db'), synchronous: 'OFF', rowsPerStatement: 100, maxPendingCandles: 1_000_000 });
  const config = configWith({
    binanceSpotWsUrl: fake.wsUrl('spot'),
    binanceFuturesWsUrl: fake.wsUrl('futures'),
    binanceSpotRestUrl: fake.restUrl(),
    binanceFuturesRestUrl: fake.restUrl(),
    binanceWsReconnectMinMs: 100,
    binanceWsReconnectMaxMs: 300,
    formingMinIntervalMs: 100,
    ingestWorkers: 2,
    enableWhitelistIngest: true,
    enableOndemandIngest: true,
    ondemandIdleTtlS: TTL_S,
    ondemandMaxJobs: 2,
  });
  supervisor = await IngestSupervisor.start({
    config,
    whitelist: [W, 'okx:spot:BTC/USDT:1m'],
    store,
    clock,
    workers: ingestWorkerClients(config, store, { publishForming: (seriesId) => forming.set(seriesId, (forming.get(seriesId) ?? 0) + 1) }),
    history: { onBootstrapped: (listener) => void (imported = listener) },
  });
});
afterAll(async () => {
  await supervisor?.stop();
  await store?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
  setLogLevel('info');
});

async function jobs(): Promise<Record<string, any>> {
  const state = await supervisor.state();
  return Object.fromEntries((state.jobs as any[]).map((j) => [j.series_id, j]));
}
/** Series the worker threads really run (their own stats, not the table). */
async function runningInWorkers(): Promise<string[]> {
  return (await Promise.all(supervisor.threads.map((w) => (w.isAlive ? w.stats() : null)))).flatMap((s) => s?.series.map((x) => x.seriesId) ?? []).sort();
}
const sameSet = (a: string[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
async function storedTimes(seriesId: string): Promise<number[]> {
  const read = await store.between(seriesId, 0, Number.MAX_SAFE_INTEGER, 100_000);
  return Array.from({ length: read.data.length / CANDLE_STRIDE }, (_, i) => read.data[i * CANDLE_STRIDE]!);
}
/** Whether a subscribe of `s` is granted (no per-connection cap here). */
const acquire = async (s: string) => ['served', 'ondemand'].includes(await supervisor.demand.acquire(parseSeriesId(s), Number.POSITIVE_INFINITY));
const release = (s: string) => supervisor.demand.release(parseSeriesId(s));

describe('IngestSupervisor', () => {
  it('runs whitelist jobs pinned from the start; a series Binance cannot stream gets no job', async () => {
    await waitFor(() => (forming.get(W) ?? 0) > 0, 'forming candles of the whitelisted series', 15_000);
    expect(await jobs()).toMatchObject({ [W]: { source: 'whitelist', refcount: 0, running: true, worker: workerIndexOf(W, 2) } });
    expect(await acquire('okx:spot:BTC/USDT:1m')).toBe(true);
    expect(await acquire('binance:spot:BTC/USDT:7m')).toBe(true);
    expect(Object.keys(await jobs())).toEqual([W]);
    expect(supervisor.notReadyReasons()).toEqual([]);
  });

  it('refcounts on-demand jobs and stops one exactly ONDEMAND_IDLE_TTL_S after the last release', async () => {
    const [a] = candidates;
    expect(await acquire(a!)).toBe(true);
    expect(await acquire(a!)).toBe(true);
    expect((await jobs())[a!]).toMatchObject({ source: 'ondemand', refcount: 2, running: true, last_zero_at: null });
    await waitFor(() => (forming.get(a!) ?? 0) > 0, 'forming candles of the on-demand series', 10_000);
    release(a!);
    release(a!);
    const idle = (await jobs())[a!];
    expect(idle).toMatchObject({ refcount: 0, running: true, last_zero_at: clock.now() / 1000 });
    clock.advance(TTL_S * 1000 - 1);
    expect(await runningInWorkers()).toContain(a);
    clock.advance(1);
    expect((await jobs())[a!]).toBeUndefined();
    await waitForAsync(async () => sameSet(await runningInWorkers(), [W]), 'the idle job to stop in its worker');
  });

  it('at ONDEMAND_MAX_JOBS evicts the idle job with the oldest zero-time, else refuses', async () => {
    const [a, b, c, d, e] = candidates.slice(1);
    expect(await acquire(a!)).toBe(true);
    expect(await acquire(b!)).toBe(true);
    expect(await acquire(c!)).toBe(false);
    release(b!);
    clock.advance(1000);
    release(a!);
    expect(await acquire(c!)).toBe(true); // evicts b (idle longest), not a
    expect(Object.keys(await jobs()).sort()).toEqual([W, a, c].sort());
    expect(await acquire(d!)).toBe(true); // evicts a
    expect(await acquire(e!)).toBe(false); // c and d are referenced
    const state = await supervisor.state();
    expect(state).toMatchObject({ ondemand_jobs: 2, ondemand_max_jobs: 2, ondemand_refused: 2, ondemand_evictions: 2 });
    await waitForAsync(async () => sameSet(await runningInWorkers(), [W, c!, d!]), 'the workers to run exactly W, c and d');
    release(c!);
    release(d!);
    clock.advance(TTL_S * 1000);
    expect(Object.keys(await jobs())).toEqual([W]);
  });

  it('history imported behind a running job: the bars up to its first candle are filled from REST', async () => {
    const history = fake.generators.futures.history('xrpusdt@kline_1m');
    await waitForAsync(async () => (await storedTimes(W)).length > 0, 'the whitelisted job to store a close', 10_000);
    const firstStored = (await storedTimes(W))[0]!;
    const first = history.findIndex((b) => b.t / 1000 === firstStored);
    // The stream was made with 30 past bars the job never saw.
    expect(first).toBeGreaterThanOrEqual(20);
    const file = history.slice(0, 10).map((b) => ({ candle_time: b.t / 1000, open: +b.o, high: +b.h, low: +b.l, close: +b.c, volume: +b.v }));
    await store.write([{ seriesId: W, data: packCandles(file) }], { publish: false });
    imported!(W, file.at(-1)!.candle_time);
    await waitForAsync(async () => (await storedTimes(W)).includes(firstStored - 60), 'the bars behind the job to be filled', 10_000);
    const times = await storedTimes(W);
    expect(times).toEqual(history.filter((b) => b.t / 1000 <= times.at(-1)!).map((b) => b.t / 1000));
  });

  it('restarts a crashed worker with its wanted jobs; the hole the crash left is filled from the store head', async () => {
    const index = workerIndexOf(W, 2);
    const [held, idle] = onWorker(index);
    expect(await acquire(held!)).toBe(true);
    expect(await acquire(idle!)).toBe(true);
    release(idle!); // idle, within its TTL: not worth a restart
    await waitFor(() => (forming.get(held!) ?? 0) > 0, 'the held series to stream', 10_000);
    await new Promise((r) => setTimeout(r, 700));
    const before = (await storedTimes(held!)).length;
    expect(before).toBeGreaterThan(0);

    const thread = supervisor.threads[index]!.thread!;
    await thread.terminate();
    expect(supervisor.notReadyReasons()).toEqual([`ingest worker ${index} is down`]);
    // Bars close while the worker is gone (restart backoff ≥ 250 ms ≈ a bar).
    await waitFor(() => supervisor.threads[index]!.isAlive, 'the worker to be restarted', 15_000);
    await waitForAsync(
      async () => {
        const j = await jobs();
        return j[held!]?.running && j[W]?.running;
      },
      'the jobs to run again',
      15_000,
    );
    const state = await jobs();
    expect(state[held!]).toMatchObject({ running: true, crashes: 1, refcount: 1 });
    expect(state[held!].last_crash_at).toEqual(expect.any(Number));
    expect(state[W]).toMatchObject({ running: true, crashes: 1, source: 'whitelist' });
    expect(state[idle!]).toBeUndefined();
    expect(supervisor.notReadyReasons()).toEqual([]);

    // Two more bars after the restart, and the stored series has no hole: identical to the exchange's.
    const stream = `${held!.split(':')[2]!.replace('/', '').toLowerCase()}@kline_1m`;
    const lastAtRestart = fake.generators.futures.history(stream).at(-1)!.t / 1000;
    await waitForAsync(async () => ((await storedTimes(held!)).at(-1) ?? 0) >= lastAtRestart + 120, 'two bars after the restart', 10_000);
    const times = await storedTimes(held!);
    expect(times.length).toBeGreaterThan(before);
    // The restarted job found the bars closed while its worker was gone, and fetched them.
    expect((await jobs())[held!]).toMatchObject({ missing_bars: expect.any(Number), gap_fill_errors: 0 });
    expect((await jobs())[held!].missing_bars).toBeGreaterThanOrEqual(1);
    const history = fake.generators.futures.history(stream).filter((b) => b.t / 1000 >= times[0]! && b.t / 1000 <= times.at(-1)!);
    expect(times).toEqual(history.map((b) => b.t / 1000));
  });
});
