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
 *  4. The engine's ceilings for the same closed candles in drains of the run's mean size (COPY or
 *     INSERT … SELECT into an unindexed temp table, and into a table like candles).
 *
 *  0. Ceiling, same frames, before the gateway starts: a bare WebSocket client + kline parser on one
 *     thread (ceiling-client.ts); end-to-end frames/s is printed as a ratio of it, and the ingest
 *     threads' busy µs per frame (event-loop utilization × wall / frames) next to the client's.
 *  5. The CPU budget (lib/cpu-budget.ts): CPU µs per frame of every process in the ceiling and the
 *     end-to-end runs, the gateway's by thread (its *_cpu_seconds_total metrics), and what 0.8× the
 *     ceiling would ask of the ingest thread and of the machine's cores.
 *
 *  `--phases`: the gateway stamps each candle at every hand-off (src/shared/phase-trace.ts) and the
 *  latency run prints where a closed and a forming candle spend their time (p50 / p99 per phase).
 *  `--latency-only`: only the latency run (no ceiling, throughput or baselines), `--latency-seconds=N`.
 *
 *   npm run bench:ingest [-- --quick] [--series=1000] [--bars=300] [--workers=1] [--store postgres] [--ceiling=lean] [--profile] [--phases] [--latency-only] [--warm] [--logs]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayProcess } from '../test/support/gateway-process.js';
import { benchArgs, numberOption } from './lib/bench-args.js';
import { benchPostgres, storeOption } from './lib/bench-pg.js';
import { ask, measureCeiling } from './lib/ceiling.js';
import { cpuBudget } from './lib/cpu-budget.js';
import type { ClientKind } from './lib/ceiling-client.js';
import { ingestCeilings, legacyCandlesPerSecond } from './lib/ingest-baselines.js';
import { seriesIdOf } from './lib/kline-frames.js';
import { processUsage } from './lib/process-usage.js';
import { formatTable, percentile, report, type Row } from './lib/report.js';
import type { FleetStats } from './lib/ws-fleet.js';
import { latencyRun, type LatencyRunResult } from './lib/latency-run.js';

const { quick, args } = benchArgs();
const STORE = storeOption(args);
const SERIES = numberOption(args, 'series', quick ? 200 : 1000);
const BARS = numberOption(args, 'bars', quick ? 20 : 300);
const WORKERS = numberOption(args, 'workers', 1);
const LATENCY_SERIES = quick ? 50 : 100;
const LATENCY_RATE = 1000;
const LATENCY_SECONDS = numberOption(args, 'latency-seconds', quick ? 3 : 10);
const LEGACY_SAMPLE = quick ? 300 : 2000;
/** The client the ceiling runs (ceiling-client.ts); the gateway's own is src/ingest/ws/. */
const CEILING_CLIENT = (args.find((a) => a.startsWith('--ceiling='))?.slice('--ceiling='.length) ?? 'lean') as ClientKind;
/** Issue 16's target: end-to-end frames/s as a share of the ws ceiling. */
const TARGET_RATIO = 0.8;
const PROGRESS_MS = 3_000;
const COMMIT_POLL_MS = 500;
/** `--profile`: CPU profiles of the gateway's threads into bench/results/ (gateway stopped with SIGTERM). */
const PROFILE = args.includes('--profile');
/** `--phases`: per-phase stamps in the gateway, printed as a breakdown of the latency run. */
const PHASES = args.includes('--phases');
/** `--latency-only`: skip the ceiling, the throughput replay and the baselines. */
const LATENCY_ONLY = args.includes('--latency-only');
/**
 * `--warm`: the ceiling client and the gateway each first take an untimed replay of WARM_BARS bars,
 * so both measured replays run compiled code. A cold replay (the default, comparable with the
 * figures in docs/benchmarks.md) also measures the JIT compiling the hot paths: about a second of
 * frames is short next to that.
 */
const WARM_BARS = args.includes('--warm') ? (quick ? 10 : 100) : 0;

interface GatewayCounters {
  committed: number;
  commits: number;
  frames: number;
  /** Event-loop busy seconds of every ingest worker (kline_gateway_ingest_worker_busy_seconds_total). */
  busySeconds: number;
  /** CPU seconds by thread (Linux, *_cpu_seconds_total): the ingest workers, the writer, the main thread. */
  ingestCpuSeconds: number;
  writerCpuSeconds: number;
  mainCpuSeconds: number;
  overflowed: number;
  /** Closed batches the ingest workers posted to the writer. */
  batches: number;
  held: number;
  gapFills: number;
  unfilledBars: number;
  reconnects: number;
}

async function metrics(url: string): Promise<GatewayCounters> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (prefix: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(prefix))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const P = 'kline_gateway_';
  return {
    committed: sum(`${P}writer_committed_rows_total `),
    commits: sum(`${P}writer_commits_total `),
    frames: sum(`${P}ingest_frames_total{`),
    busySeconds: sum(`${P}ingest_worker_busy_seconds_total{`),
    ingestCpuSeconds: sum(`${P}ingest_worker_cpu_seconds_total{`),
    writerCpuSeconds: sum(`${P}writer_thread_cpu_seconds_total `),
    mainCpuSeconds: sum(`${P}main_thread_cpu_seconds_total `),
    overflowed: sum(`${P}ingest_batcher_overflowed_total{`),
    batches: sum(`${P}ingest_batcher_batches_sent_total{`),
    held: sum(`${P}ingest_held_candles{`),
    gapFills: sum(`${P}ingest_gap_fills_total{`),
    unfilledBars: sum(`${P}ingest_unfilled_bars_total{`),
    reconnects: sum(`${P}ingest_stream_reconnects_total{`),
  };
}

async function printProgress(url: string, before: GatewayCounters, frames: number, closedTotal: number): Promise<void> {
  const m = await metrics(url);
  console.error(
    `  frames ${m.frames - before.frames}/${frames} committed ${m.committed - before.committed}/${closedTotal} overflowed ${m.overflowed} held ${m.held} gapfills ${m.gapFills} unfilled ${m.unfilledBars} reconnects ${m.reconnects}`,
  );
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  console.error(`… waiting: ${what}`);
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The latency run's rows, and with --phases its breakdown printed (stderr, before the report). */
function latencyRows(latency: LatencyRunResult): Row[] {
  if (latency.phases) {
    for (const [kind, b] of Object.entries(latency.phases)) {
      console.error(`\n${kind} candles: where the time goes (${b.complete} candles seen at the client with every phase stamped)\n${formatTable(b.rows)}`);
    }
  }
  return [
    { measure: `low load: frames sent (${LATENCY_RATE}/s for ${LATENCY_SECONDS} s)`, value: latency.sent },
    { measure: 'low load: writer commits', value: latency.commits },
    { measure: 'low load: gap fills (a hole holds candles; should be 0)', value: latency.gapFills },
    { measure: 'low load: closed frame → client p50 ms', value: percentile(latency.closed, 50) },
    { measure: 'low load: closed frame → client p99 ms', value: percentile(latency.closed, 99) },
    { measure: 'low load: forming frame → client p50 ms', value: percentile(latency.forming, 50) },
    { measure: 'low load: forming frame → client p99 ms', value: percentile(latency.forming, 99) },
  ];
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
  // 0. The ceiling: the bare client + parser on the same frames, before the gateway exists.
  const loadAtCeiling = loadavg()[0]!;
  const wsCeiling = LATENCY_ONLY ? null : await measureCeiling(exchange, `ws://127.0.0.1:${port}/market`, SERIES, BARS, CEILING_CLIENT, WARM_BARS);
  if (wsCeiling) {
    console.error(
      `ceiling (${CEILING_CLIENT}): ${Math.round(wsCeiling.framesPerSecond).toLocaleString('en-US')} frames/s, ${wsCeiling.busyUsPerFrame.toFixed(2)} µs busy per frame`,
    );
  }
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
      ...(PHASES ? { KLINE_GATEWAY_PHASE_TRACE: '1' } : {}),
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
  const latencyOptions = { exchange, gatewayUrl: gateway.url, series: LATENCY_SERIES, framesPerSecond: LATENCY_RATE, seconds: LATENCY_SECONDS, phases: PHASES };
  // A labelled block: --latency-only leaves it after the latency run, and `finally` still cleans up.
  run: {
    if (LATENCY_ONLY || !wsCeiling) {
      const latency = await latencyRun({ ...latencyOptions, firstBar: 10 });
      const name = STORE === 'sqlite' ? 'ingest-latency' : 'ingest-latency-postgres';
      report(
        name,
        `Ingest latency only (${STORE}): ${LATENCY_SERIES} futures series at ${LATENCY_RATE} frames/s, ${WORKERS} ingest worker(s)`,
        latencyRows(latency),
      );
      break run;
    }
    const published = Array.from({ length: Math.min(20, SERIES) }, (_, i) => seriesIdOf(i));
    await ask(fleet, {
      cmd: 'connect',
      url: `${gateway.url.replace('http', 'ws')}/ws/market`,
      count: published.length,
      series: published,
      offset: 0,
      sampleEvery: 1,
    });
    const commitWatch = async () => (await (await fetch(`${gateway.url}/__bench/commit-watch`)).json()) as { rows: number; lastAtMs: number };
    if (WARM_BARS > 0) {
      const warm = await ask<{ closed: number }>(exchange, { cmd: 'prepare', series: SERIES, bars: WARM_BARS });
      const warmFrom = (await commitWatch()).rows;
      await ask(exchange, { cmd: 'blast' });
      await waitFor('the warm-up replay committed', 120_000, async () => (await commitWatch()).rows >= warmFrom + warm.closed);
    }
    const { frames, closed: closedTotal } = await ask<{ frames: number; closed: number }>(exchange, {
      cmd: 'prepare',
      series: SERIES,
      bars: BARS,
      from: WARM_BARS,
    });
    const loadAtThroughput = loadavg()[0]!;

    // 1. Throughput: from the exchange's first write to the commit of the last closed candle,
    // stamped inside the gateway (commit-watch: a tiny reply polled twice a second) rather than by
    // polling /metrics, which costs the gateway's main thread; a progress line every few seconds.
    const before = await metrics(gateway.url);
    const cpuSeconds = () => [gateway.pid, exchange.pid!, fleet.pid!].map((pid) => processUsage(pid).cpuSeconds);
    const cpuBefore = cpuSeconds();
    await ask(fleet, { cmd: 'reset' });
    const committedBefore = (await commitWatch()).rows;
    const blast = ask<{ ms: number; startedAtMs: number }>(exchange, { cmd: 'blast' });
    const progress = setInterval(() => void printProgress(gateway.url, before, frames, closedTotal), PROGRESS_MS);
    let committedAt = await commitWatch();
    for (const started = Date.now(); committedAt.rows < committedBefore + closedTotal; committedAt = await commitWatch()) {
      if (Date.now() - started > 600_000) throw new Error('timed out waiting for every closed candle to be committed');
      await new Promise((r) => setTimeout(r, COMMIT_POLL_MS));
    }
    clearInterval(progress);
    const { ms: blastMs, startedAtMs } = await blast;
    const seconds = (committedAt.lastAtMs - startedAtMs) / 1000;
    const [gatewayCpu, exchangeCpu, fleetCpu] = cpuSeconds().map((s, k) => s - cpuBefore[k]!) as [number, number, number];
    const after = await metrics(gateway.url);
    await waitFor('subscribers received their candles', 30_000, async () => (await ask<FleetStats>(fleet, { cmd: 'stats' })).messages > 0);
    const fleetStats = await ask<FleetStats>(fleet, { cmd: 'stats' });
    const closedPerSecond = closedTotal / seconds;
    const framesPerSecond = frames / seconds;
    const busyUsPerFrame = ((after.busySeconds - before.busySeconds) * 1e6) / frames;

    // 2. Latency at a low, fixed rate.
    fleet.send({ cmd: 'close' });
    // The bar after the replay's last (the replays close bars -1..WARM_BARS+BARS-1): a later one would be a
    // hole in every series, and each series' first candle would wait behind its gap fill (it was
    // the whole slowest 1% of closed candles, 2026-12-03).
    const latency = await latencyRun({ ...latencyOptions, firstBar: WARM_BARS + BARS });

    // 3. Legacy baseline on the same frames and store; the engine's ceilings for the same rows.
    const target = { dir, cluster };
    const legacy = await legacyCandlesPerSecond(target, SERIES, LEGACY_SAMPLE);
    const rowsPerCommit = (after.committed - before.committed) / Math.max(1, after.commits - before.commits);
    const ceiling = await ingestCeilings(target, SERIES, BARS, rowsPerCommit);
    const budget = cpuBudget({
      cores: availableParallelism(),
      target: TARGET_RATIO,
      ceilingFramesPerSecond: wsCeiling.framesPerSecond,
      ceilingBusyUs: wsCeiling.busyUsPerFrame,
      ingestBusyUs: busyUsPerFrame,
      ceilingClientUs: wsCeiling.clientCpuUsPerFrame,
      ceilingExchangeUs: wsCeiling.exchangeCpuUsPerFrame,
      gatewayUs: (gatewayCpu * 1e6) / frames,
      threadsUs: {
        ingest: ((after.ingestCpuSeconds - before.ingestCpuSeconds) * 1e6) / frames,
        writer: ((after.writerCpuSeconds - before.writerCpuSeconds) * 1e6) / frames,
        main: ((after.mainCpuSeconds - before.mainCpuSeconds) * 1e6) / frames,
      },
      exchangeUs: (exchangeCpu * 1e6) / frames,
      subscribersUs: (fleetCpu * 1e6) / frames,
      framesPerSecond,
      indexedInsertUsPerRow: ceiling.indexedCpuUsPerRow,
    });

    const rows: Row[] = [
      { measure: 'frames replayed (closed + forming)', value: frames },
      { measure: `ws ceiling: bare client + parser (${CEILING_CLIENT}), one thread: frames/s`, value: Math.round(wsCeiling.framesPerSecond) },
      { measure: 'ws ceiling: busy µs per frame', value: wsCeiling.busyUsPerFrame },
      { measure: 'end to end: frames/s (first frame sent → last candle committed)', value: Math.round(framesPerSecond) },
      { measure: 'end to end / ws ceiling', value: framesPerSecond / wsCeiling.framesPerSecond },
      { measure: 'ingest thread(s): busy µs per frame (ELU × wall / frames)', value: busyUsPerFrame },
      { measure: 'frames the ingest workers counted', value: after.frames - before.frames },
      { measure: 'closed candles/s committed (end to end)', value: Math.round(closedPerSecond) },
      {
        measure: 'dropped at the batcher bound / held / gap fills / reconnects',
        value: `${after.overflowed} / ${after.held} / ${after.gapFills - before.gapFills} / ${after.reconnects}`,
      },
      { measure: 'legacy: closed candles/s (1 txn per candle)', value: Math.round(legacy) },
      { measure: 'ratio vs legacy', value: closedPerSecond / legacy },
      { measure: 'writer commits during the run', value: after.commits - before.commits },
      { measure: 'rows per commit (mean)', value: rowsPerCommit },
      { measure: 'closed batches posted to the writer', value: after.batches - before.batches },
      { measure: 'ceiling, same rows and drains: unindexed temp table rows/s', value: Math.round(ceiling.temp) },
      { measure: 'ceiling, same rows and drains: table like candles rows/s', value: Math.round(ceiling.indexed) },
      { measure: 'committed / unindexed ceiling', value: closedPerSecond / ceiling.temp },
      { measure: 'committed / indexed ceiling', value: closedPerSecond / ceiling.indexed },
      { measure: 'candles delivered to 20 subscribed series', value: fleetStats.messages },
      { measure: 'gateway CPU s per 1k closed candles', value: (gatewayCpu / closedTotal) * 1000 },
      { measure: 'exchange replay time (s)', value: blastMs / 1000 },
      ...budget.rows,
      ...latencyRows(latency),
    ];
    report(
      STORE === 'sqlite' ? 'ingest' : 'ingest-postgres',
      `Ingest load (${STORE}): ${SERIES} futures series × ${BARS} bars replayed (closed + forming), ${WORKERS} ingest worker(s)${WARM_BARS > 0 ? `, after an untimed warm-up replay of ${WARM_BARS} bars (--warm)` : ''}`,
      rows,
      [
        `targets: ≥ 300,000 closed candles/s end to end; ≥ 250× the legacy path; p99 frame → client ≤ 5 ms at ${LATENCY_RATE} frames/s`,
        `closed: ${Math.round(closedPerSecond).toLocaleString('en-US')}/s = ${(closedPerSecond / legacy).toFixed(0)}× legacy; low-load closed p99 ${percentile(latency.closed, 99).toFixed(2)} ms (${latency.closed.length} samples)`,
        `end to end ${(framesPerSecond / wsCeiling.framesPerSecond).toFixed(2)}× the ws ceiling (target ≥ ${TARGET_RATIO}×); 1-minute load average at the ceiling ${loadAtCeiling.toFixed(2)}, at the throughput run ${loadAtThroughput.toFixed(2)}`,
        budget.verdict,
      ],
    );
  }
} finally {
  exchange.send({ cmd: 'close' });
  if (fleet.connected) fleet.send({ cmd: 'close' });
  await gw?.kill(PROFILE ? 'SIGTERM' : 'SIGKILL');
  await cluster?.destroy();
  if (args.includes('--logs')) console.error(gw?.logs.join('\n'));
  rmSync(dir, { recursive: true, force: true });
}
