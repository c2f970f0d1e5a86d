/**
 * Ingest load test with replayed Binance streams (issue 6 §3). Three processes on 127.0.0.1: the
 * exchange (a FakeBinance replaying pre-built kline frames for SERIES futures series as fast as the
 * gateway reads them), the gateway (whitelist ingest of those series), and a WS client fleet.
 *
 *  1. Throughput: closed + forming frames of BARS bars per series, interleaved across series.
 *     Measured until every closed candle is committed: frames/s parsed, closed candles/s committed,
 *     candles published to subscribers, writer drains (rows per commit), gateway CPU per 1k candles.
 *  2. Latency at low load: frames at a fixed rate (1k frames/s) carrying their send time; the
 *     fleet measures frame → client for closed and forming candles.
 *  3. Baseline, same frames: the legacy design (parse, then one transaction per candle), for a
 *     bounded sample, through the same store (SQLite, or PostgreSQL with --store postgres).
 *
 *  4. The engine's ceilings for the same closed candles in drains of the run's mean size (COPY or
 *     INSERT … SELECT into an unindexed temp table, and into a table like candles).
 *
 *   npm run bench:ingest [-- --quick] [--series=1000] [--bars=300] [--workers=1] [--store postgres]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayProcess } from '../test/support/gateway-process.js';
import { benchArgs, numberOption } from './lib/bench-args.js';
import { benchPostgres, storeOption } from './lib/bench-pg.js';
import { ingestCeilings, legacyCandlesPerSecond } from './lib/ingest-baselines.js';
import { seriesIdOf } from './lib/kline-frames.js';
import { processUsage } from './lib/process-usage.js';
import { percentile, report, type Row } from './lib/report.js';
import type { FleetStats } from './lib/ws-fleet.js';

const { quick, args } = benchArgs();
const STORE = storeOption(args);
const SERIES = numberOption(args, 'series', quick ? 200 : 1000);
const BARS = numberOption(args, 'bars', quick ? 20 : 300);
const WORKERS = numberOption(args, 'workers', 1);
const LATENCY_SERIES = quick ? 50 : 100;
const LATENCY_RATE = 1000;
const LATENCY_SECONDS = quick ? 3 : 10;
const LEGACY_SAMPLE = quick ? 300 : 2000;
/** `--profile`: CPU profiles of the gateway's threads into bench/results/ (gateway stopped with SIGTERM). */
const PROFILE = args.includes('--profile');

function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(msg);
  });
}

async function metrics(url: string): Promise<{ committed: number; commits: number; frames: number; closedFrames: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let frames = 0;
  let closedFrames = 0;
  let committed = 0;
  let commits = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('kline_gateway_ingest_frames_total{')) frames += Number(line.slice(line.lastIndexOf(' ') + 1));
    else if (line.startsWith('kline_gateway_ingest_closed_total{')) closedFrames += Number(line.slice(line.lastIndexOf(' ') + 1));
    else if (line.startsWith('kline_gateway_writer_committed_rows_total ')) committed = Number(line.split(' ')[1]);
    else if (line.startsWith('kline_gateway_writer_commits_total ')) commits = Number(line.split(' ')[1]);
  }
  return { committed, commits, frames, closedFrames };
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  console.error(`… waiting: ${what}`);
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kline-bench-ingest-'));
const tsx = { execArgv: ['--import', 'tsx'] };
const exchange = fork(new URL('./lib/replay-exchange.ts', import.meta.url).pathname, [], tsx);
const fleet = fork(new URL('./lib/ws-fleet.ts', import.meta.url).pathname, [], tsx);
for (const [name, child] of [
  ['exchange', exchange],
  ['fleet', fleet],
] as const) {
  child.on('exit', (code, signal) => console.error(`${name} process exited (${code ?? signal})`));
}
let gw: GatewayProcess | null = null;
const cluster = STORE === 'postgres' ? await benchPostgres() : null;
try {
  const storeEnv: Record<string, string> = cluster
    ? { TRADE_CANVAS_STORE: 'postgres', TRADE_CANVAS_PG_URL: await cluster.createDatabase() }
    : { TRADE_CANVAS_DB_PATH: join(dir, 'market.db') };
  const { port } = await ask<{ port: number }>(exchange, { cmd: 'start' });
  const whitelist = join(dir, 'whitelist.json');
  writeFileSync(whitelist, JSON.stringify({ series_ids: Array.from({ length: SERIES }, (_, i) => seriesIdOf(i)) }));
  gw = await GatewayProcess.start(
    {
      ...storeEnv,
      TRADE_CANVAS_WHITELIST_PATH: whitelist,
      TRADE_CANVAS_ENABLE_WHITELIST_INGEST: '1',
      TRADE_CANVAS_INGEST_WORKERS: String(WORKERS),
      TRADE_CANVAS_BINANCE_FUTURES_WS_URL: `ws://127.0.0.1:${port}/market`,
      TRADE_CANVAS_BINANCE_FUTURES_REST_URL: `http://127.0.0.1:${port}`,
      TRADE_CANVAS_LOG_LEVEL: 'info',
      // The replay's bars are in 2023: a REST tail up to the fake's "now" would put every
      // subscriber past them (and the first 2,000 bars per series would be REST traffic).
      TRADE_CANVAS_ENABLE_MARKET_TAIL_COVERAGE: '0',
    },
    60_000,
    [
      ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${new URL('./results/', import.meta.url).pathname}`] : []),
      new URL('./lib/bench-gateway.ts', import.meta.url).pathname,
    ],
  );
  const gateway = gw;
  console.error(`gateway ${gateway.url} (pid ${gateway.pid}), exchange port ${port}`);
  await waitFor('every stream subscribed', 120_000, async () => (await ask<{ streams: number }>(exchange, { cmd: 'subscribed' })).streams >= SERIES);
  const published = Array.from({ length: Math.min(20, SERIES) }, (_, i) => seriesIdOf(i));
  await ask(fleet, {
    cmd: 'connect',
    url: `${gateway.url.replace('http', 'ws')}/ws/market`,
    count: published.length,
    series: published,
    offset: 0,
    sampleEvery: 1,
  });
  const { frames } = await ask<{ frames: number }>(exchange, { cmd: 'prepare', series: SERIES, bars: BARS });
  const closedTotal = SERIES * (BARS + 1);

  // 1. Throughput.
  const before = await metrics(gateway.url);
  const cpuBefore = processUsage(gateway.pid).cpuSeconds;
  await ask(fleet, { cmd: 'reset' });
  const t0 = performance.now();
  let parsedAt = 0;
  const blast = ask<{ ms: number }>(exchange, { cmd: 'blast' });
  let lastPrint = 0;
  await waitFor('every closed candle committed', 600_000, async () => {
    const m = await metrics(gateway.url);
    if (Date.now() - lastPrint > 2000) {
      lastPrint = Date.now();
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      const pick = (name: string) =>
        text
          .split('\n')
          .filter((l) => l.startsWith(name))
          .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      console.error(
        `  t=${((performance.now() - t0) / 1000).toFixed(1)}s frames ${m.frames - before.frames}/${frames} committed ${m.committed - before.committed}/${closedTotal} overflowed ${pick('kline_gateway_ingest_batcher_overflowed_total')} held ${pick('kline_gateway_ingest_held_candles')} gapfills ${pick('kline_gateway_ingest_gap_fills_total')} unfilled ${pick('kline_gateway_ingest_unfilled_bars_total')} reconnects ${pick('kline_gateway_ingest_stream_reconnects_total')}`,
      );
    }
    if (!parsedAt && m.frames - before.frames >= frames) parsedAt = performance.now();
    return m.committed - before.committed >= closedTotal;
  });
  const seconds = (performance.now() - t0) / 1000;
  const blastMs = (await blast).ms;
  const cpu = processUsage(gateway.pid).cpuSeconds - cpuBefore;
  const after = await metrics(gateway.url);
  await waitFor('subscribers received their candles', 30_000, async () => (await ask<FleetStats>(fleet, { cmd: 'stats' })).messages > 0);
  const fleetStats = await ask<FleetStats>(fleet, { cmd: 'stats' });
  const closedPerSecond = closedTotal / seconds;

  // 2. Latency at a low, fixed rate.
  fleet.send({ cmd: 'close' });
  const latencyFleet = fork(new URL('./lib/ws-fleet.ts', import.meta.url).pathname, [], tsx);
  const latencySeries = Array.from({ length: LATENCY_SERIES }, (_, i) => seriesIdOf(i));
  await ask(latencyFleet, {
    cmd: 'connect',
    url: `${gateway.url.replace('http', 'ws')}/ws/market`,
    count: LATENCY_SERIES,
    series: latencySeries,
    offset: 0,
    sampleEvery: 1,
  });
  await new Promise((r) => setTimeout(r, 500));
  await ask(latencyFleet, { cmd: 'reset' });
  const rate = await ask<{ sent: number }>(exchange, {
    cmd: 'rate',
    series: LATENCY_SERIES,
    framesPerSecond: LATENCY_RATE,
    seconds: LATENCY_SECONDS,
    firstBar: BARS + 10,
  });
  await new Promise((r) => setTimeout(r, 500));
  const latency = await ask<FleetStats>(latencyFleet, { cmd: 'stats' });
  latencyFleet.send({ cmd: 'close' });
  const closedLat = [...latency.closedLatencies].sort((a, b) => a - b);
  const formingLat = [...latency.formingLatencies].sort((a, b) => a - b);

  // 3. Legacy baseline on the same frames and store; the engine's ceilings for the same rows.
  const target = { dir, cluster };
  const legacy = await legacyCandlesPerSecond(target, SERIES, LEGACY_SAMPLE);
  const rowsPerCommit = (after.committed - before.committed) / Math.max(1, after.commits - before.commits);
  const ceiling = await ingestCeilings(target, SERIES, BARS, rowsPerCommit);

  const rows: Row[] = [
    { measure: 'frames replayed (closed + forming)', value: frames },
    { measure: 'frames/s parsed', value: Math.round(((after.frames - before.frames) / ((parsedAt || performance.now()) - t0)) * 1000) },
    { measure: 'closed candles/s committed (end to end)', value: Math.round(closedPerSecond) },
    { measure: 'legacy: closed candles/s (1 txn per candle)', value: Math.round(legacy) },
    { measure: 'ratio vs legacy', value: closedPerSecond / legacy },
    { measure: 'writer commits during the run', value: after.commits - before.commits },
    { measure: 'rows per commit (mean)', value: rowsPerCommit },
    { measure: 'ceiling, same rows and drains: unindexed temp table rows/s', value: Math.round(ceiling.temp) },
    { measure: 'ceiling, same rows and drains: table like candles rows/s', value: Math.round(ceiling.indexed) },
    { measure: 'committed / unindexed ceiling', value: closedPerSecond / ceiling.temp },
    { measure: 'committed / indexed ceiling', value: closedPerSecond / ceiling.indexed },
    { measure: 'messages to 20 subscribed series', value: fleetStats.messages },
    { measure: 'gateway CPU s per 1k closed candles', value: (cpu / closedTotal) * 1000 },
    { measure: 'exchange replay time (s)', value: blastMs / 1000 },
    { measure: `low load: frames sent (${LATENCY_RATE}/s for ${LATENCY_SECONDS} s)`, value: rate.sent },
    { measure: 'low load: closed frame → client p50 ms', value: percentile(closedLat, 50) },
    { measure: 'low load: closed frame → client p99 ms', value: percentile(closedLat, 99) },
    { measure: 'low load: forming frame → client p50 ms', value: percentile(formingLat, 50) },
    { measure: 'low load: forming frame → client p99 ms', value: percentile(formingLat, 99) },
  ];
  report(
    STORE === 'sqlite' ? 'ingest' : 'ingest-postgres',
    `Ingest load (${STORE}): ${SERIES} futures series × ${BARS} bars replayed (closed + forming), ${WORKERS} ingest worker(s)`,
    rows,
    [
      `targets: ≥ 300,000 closed candles/s end to end; ≥ 250× the legacy path; p99 frame → client ≤ 5 ms at ${LATENCY_RATE} frames/s`,
      `closed: ${Math.round(closedPerSecond).toLocaleString('en-US')}/s = ${(closedPerSecond / legacy).toFixed(0)}× legacy; low-load closed p99 ${percentile(closedLat, 99).toFixed(2)} ms (${closedLat.length} samples)`,
    ],
  );
} finally {
  exchange.send({ cmd: 'close' });
  if (fleet.connected) fleet.send({ cmd: 'close' });
  await gw?.kill(PROFILE ? 'SIGTERM' : 'SIGKILL');
  await cluster?.destroy();
  if (args.includes('--logs')) console.error(gw?.logs.join('\n'));
  rmSync(dir, { recursive: true, force: true });
}
