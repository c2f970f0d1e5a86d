import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { exchangeBars, fakeBinanceSettings, ingestState, jobOf, rowOf, type Row } from '../support/live-ingest.js';
import { waitFor, waitForAsync } from '../support/wait.js';

/**
 * On-demand live ingest end to end: the real gateway (uWS on an ephemeral port, writer worker,
 * SQLite file, ingest worker thread) against the fake exchange over loopback, real WebSocket
 * clients. 1m bars last 1.5 s; the fake pushes a forming update every 50 ms, five times what the
 * 250 ms throttle lets through.
 */
const S = 'binance:futures:BTC/USDT:1m';
const STREAM = 'btcusdt@kline_1m';

describe('on-demand ingest through the gateway', () => {
  let fake: FakeBinance;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 1500, tickMs: 50, recordFrames: true });
    // Tail coverage off: the store must hold exactly what the job ingested (coverage: tail-coverage*.test.ts).
    gw = await startTestGateway({ enableOndemandIngest: true, enableTailCoverage: false, ondemandIdleTtlS: 0.5, ...fakeBinanceSettings(fake) });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('a subscribe starts a job: forming at most every 250 ms, the last value delivered, each close stored and then published', async () => {
    expect(await jobOf(gw, S)).toBeUndefined();
    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: null, supports_batch: false });
    await waitForAsync(async () => (await jobOf(gw, S))?.running === true, 'the on-demand job to run', 15_000);
    expect(await jobOf(gw, S)).toMatchObject({ source: 'ondemand', refcount: 1, crashes: 0 });

    // Each closed candle, the moment the client has it, is already readable over HTTP: stored, then published.
    const closes: Row[] = [];
    while (closes.length < 4) {
      const [m] = await client.next(1, 15_000);
      if (m.type !== 'candle_closed') continue;
      const read = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&since=${m.candle.candle_time - 1}&limit=1`);
      expect(read.body.candles[0]).toEqual(m.candle);
      closes.push(rowOf(m.candle));
    }
    const bars = new Map(exchangeBars(fake, S).map((r) => [r[0], r]));
    for (let i = 0; i < closes.length; i++) {
      expect(closes[i]).toEqual(bars.get(closes[i]![0]));
      if (i > 0) expect(closes[i]![0]).toBe(closes[i - 1]![0] + 60);
    }

    const arrivals = client.messages.flatMap((m, i) => (m.type === 'candle_forming' && m.series_id === S ? [client.receivedAt[i]!] : []));
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
    expect(arrivals.length).toBeGreaterThan(10);
    // 250 ms on the sending side; allow a little scheduling jitter on this shared machine.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(180);
    expect(gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]).toBeGreaterThanOrEqual(245);

    // Freeze the exchange mid-bar: the last forming frame it sent reaches the client (trailing send).
    await waitFor(() => fake.now() % 60_000 > 20_000 && fake.now() % 60_000 < 40_000, 'the middle of a bar', 5_000);
    fake.pause();
    try {
      const last = fake.frameLog.filter((f) => f.frame.stream === STREAM && !f.frame.closed).at(-1)!;
      const k = JSON.parse(last.frame.data).k;
      const expected = [k.t / 1000, +k.o, +k.h, +k.l, +k.c, +k.v];
      const lastForming = () => client.messages.filter((m) => m.type === 'candle_forming' && m.series_id === S).at(-1);
      await waitFor(() => JSON.stringify(rowOf(lastForming().candle)) === JSON.stringify(expected), 'the last forming value at the client', 3_000);
    } finally {
      fake.resume();
    }
    client.close();
  });

  it('unsubscribe (or a disconnect) releases the job; after the idle TTL it is gone from the worker too', async () => {
    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: null, supports_batch: true });
    const other = await WsClient.connect(gw);
    const S2 = 'binance:spot:ETH/BTC:1m';
    other.send({ type: 'subscribe', series_id: S2, since: null, supports_batch: true });
    await waitForAsync(async () => (await jobOf(gw, S))?.running === true && (await jobOf(gw, S2))?.running === true, 'both jobs to run', 15_000);

    client.send({ type: 'unsubscribe', series_id: S });
    other.close();
    await waitForAsync(async () => (await ingestState(gw)).jobs.length === 0, 'both jobs to stop after the TTL', 10_000);
    await waitForAsync(
      async () => (await ingestState(gw)).workers.every((w) => w.jobs === 0 && w.connections.length === 0),
      'the worker to drop the jobs and their connections',
      10_000,
    );
    const metrics = await http(gw.url, 'GET', '/metrics');
    expect(metrics.text).toContain('kline_gateway_ingest_workers_up 1');
    // Linux: the worker's own CPU time, which parsed this test's frames.
    if (existsSync('/proc/thread-self/schedstat')) expect(metrics.text).toMatch(/^kline_gateway_ingest_worker_cpu_seconds_total\{worker="0"\} [0-9.e-]+$/m);
    expect((await http(gw.url, 'GET', '/readyz')).status).toBe(200);
    client.close();
  });

  it('while a job runs, /metrics has its per-series ingest lines', async () => {
    const client = await WsClient.connect(gw);
    client.send({ type: 'subscribe', series_id: S, since: null, supports_batch: true });
    await waitForAsync(async () => ((await jobOf(gw, S))?.closed ?? 0) >= 1, 'a close on the new job', 15_000);
    const job = await jobOf(gw, S);
    expect(job).toMatchObject({ running: true, last_closed_time: expect.any(Number), lag_s: expect.any(Number), frames: expect.any(Number), reconnects: 0 });
    expect(job.lag_s).toBeLessThan(60 + 5);
    const text = (await http(gw.url, 'GET', '/metrics')).text;
    for (const name of [
      'frames_total',
      'closed_total',
      'last_closed_time_seconds',
      'lag_seconds',
      'reconnects_total',
      'gap_fills_total',
      'held_candles',
      'job_refcount',
    ]) {
      expect(text).toMatch(new RegExp(`kline_gateway_ingest_${name}\\{series_id="${S.replace(/[/]/g, '\\/')}"`));
    }
    client.close();
  });
});

describe('on-demand capacity through the gateway', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  const A = 'binance:futures:ETH/USDT:1m';
  const B = 'binance:futures:SOL/USDT:1m';

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 1500, tickMs: 100 });
    // Tail coverage off: the store must hold exactly what the job ingested (coverage: tail-coverage*.test.ts).
    gw = await startTestGateway({
      enableOndemandIngest: true,
      enableTailCoverage: false,
      ondemandMaxJobs: 1,
      ondemandIdleTtlS: 60,
      ...fakeBinanceSettings(fake),
    });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it('ONDEMAND_MAX_JOBS=1: a second series gets capacity, and succeeds once the first went idle (evicted)', async () => {
    const first = await WsClient.connect(gw);
    first.send({ type: 'subscribe', series_id: A, since: null, supports_batch: true });
    await waitForAsync(async () => (await jobOf(gw, A))?.running === true, 'the first job', 15_000);

    const second = await WsClient.connect(gw);
    second.send({ type: 'subscribe', series_id: B, since: null, supports_batch: true });
    expect(await second.next(1, 10_000)).toEqual([{ type: 'error', code: 'capacity', message: 'ondemand_ingest_capacity', series_id: B }]);
    await second.expectSilence(500);
    expect((await ingestState(gw)).jobs.map((j) => j.series_id)).toEqual([A]);

    first.send({ type: 'unsubscribe', series_id: A });
    await waitForAsync(async () => (await jobOf(gw, A))?.refcount === 0, 'the first job to go idle');
    second.send({ type: 'subscribe', series_id: B, since: null, supports_batch: true });
    const [next] = await second.next(1, 15_000);
    expect(next.type).not.toBe('error');
    const state = await ingestState(gw);
    expect(state.jobs.map((j) => [j.series_id, j.refcount])).toEqual([[B, 1]]);
    expect(state).toMatchObject({ ondemand_evictions: 1, ondemand_refused: 1 });
    first.close();
    second.close();
  });
});
