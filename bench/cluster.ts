/**
 * Cluster benchmark (issue 14): the same load through one `all` node (no bus) and through
 * 1 ingest + 2 read nodes over NATS JetStream, in the same run, on one throwaway PostgreSQL.
 *
 * The exchange (bench/lib/replay-exchange.ts, its own process) injects closed and forming frames
 * of SERIES futures series at RATE frames/s for SECONDS, each carrying its send time; a client
 * fleet (bench/lib/ws-fleet.ts, its own process) of CLIENTS WebSockets, each subscribed to one
 * series, measures frame → client latency (closed: ingest → commit → [publish → stream → read
 * node] → client) and counts deliveries. On the cluster the clients are split over the read
 * nodes. Node CPU is what the gateway processes used during the load.
 *
 * Target (issue 14): cross-node closed p99 ≤ 2× the single node's at 10k deliveries/s.
 *
 *   npm run bench:cluster [-- --quick] [--series=200] [--clients=2000] [--rate=1000] [--seconds=10] [--warmup=2] [--profile] [--samples]
 *
 * `--samples` keeps every closed sample (send time, latency) in bench/results/cluster-samples-<variant>.json
 * (`npx tsx bench/cluster-spikes.ts` shows when the slow ones were sent).
 * `--profile` writes CPU profiles of every thread of every node to bench/results/cluster-<all|cluster>/
 * (`npx tsx bench/profile-summary.ts bench/results/cluster-cluster/*.cpuprofile`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GatewayProcess } from '../test/support/gateway-process.js';
import { localNatsUnavailable, startLocalNats } from '../tools/nats/local-nats.js';
import { benchArgs, numberOption } from './lib/bench-args.js';
import { benchPostgres } from './lib/bench-pg.js';
import { seriesIdOf } from './lib/kline-frames.js';
import { processUsage } from './lib/process-usage.js';
import { percentile, report, type Row } from './lib/report.js';
import type { FleetStats } from './lib/ws-fleet.js';

const { quick, args } = benchArgs();
const SERIES = numberOption(args, 'series', quick ? 40 : 200);
/** 2,000 clients over 200 series at 1,000 frames/s: the issue's 10k deliveries/s. */
const CLIENTS = numberOption(args, 'clients', quick ? 200 : 2000);
const RATE = numberOption(args, 'rate', quick ? 400 : 1000);
const SECONDS = numberOption(args, 'seconds', quick ? 3 : 10);
/**
 * Seconds of the same load before the measured run, on the same nodes and clients. Without it the
 * run's p99 is the nodes' first 100-250 ms of traffic (code not yet optimized by V8, first
 * commit of each series), i.e. a fresh process, not the load: its p99 is reported apart ("cold").
 * `--warmup=0` measures from cold, as the runs before 2026-12-03 did.
 */
const WARMUP = numberOption(args, 'warmup', quick ? 1 : 2);
const PROFILE = args.includes('--profile');
/** `--samples`: writes every closed sample (send time, latency) to bench/results/cluster-samples-<variant>.json. */
const SAMPLES = args.includes('--samples');

const why = localNatsUnavailable();
if (why) {
  console.error(`bench:cluster: ${why}`);
  process.exit(1);
}

const tsx = { execArgv: ['--import', 'tsx'] };
function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(msg);
  });
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  console.error(`… waiting: ${what}`);
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Measured {
  readonly closed: number[];
  readonly forming: number[];
  /** Closed latencies of the warm-up (sorted; empty without one): the first traffic of fresh nodes. */
  readonly coldClosed: number[];
  /** Closed samples in arrival order: send time (epoch ms) and latency. */
  readonly closedSent: number[];
  readonly closedLatencies: number[];
  readonly deliveries: number;
  readonly cpuSeconds: number;
  readonly framesSent: number;
}

const dir = mkdtempSync(join(tmpdir(), 'kline-bench-cluster-'));
const whitelist = join(dir, 'whitelist.json');
const series = Array.from({ length: SERIES }, (_, i) => seriesIdOf(i));
writeFileSync(whitelist, JSON.stringify({ series_ids: series }));
const pg = await benchPostgres();
const nats = await startLocalNats();
const exchange = fork(new URL('./lib/replay-exchange.ts', import.meta.url).pathname, [], tsx);
const nodes: GatewayProcess[] = [];
let firstBar = 10;
let firstIndex = 0;

/** Starts `roles` (the first ingests), puts the clients on the serving nodes, runs the load. */
async function measure(variant: 'all' | 'cluster', exchangePort: number): Promise<Measured> {
  const db = await pg.createDatabase();
  const base = {
    TRADE_CANVAS_STORE: 'postgres',
    TRADE_CANVAS_PG_URL: db,
    TRADE_CANVAS_WHITELIST_PATH: whitelist,
    TRADE_CANVAS_BINANCE_FUTURES_WS_URL: `ws://127.0.0.1:${exchangePort}/market`,
    TRADE_CANVAS_BINANCE_FUTURES_REST_URL: `http://127.0.0.1:${exchangePort}`,
    // Live bars only (the injected bars are in 2023; a REST tail would put subscribers past them).
    TRADE_CANVAS_ENABLE_MARKET_TAIL_COVERAGE: '0',
  };
  const bus = { TRADE_CANVAS_BUS: 'nats', TRADE_CANVAS_NATS_URL: nats.url, TRADE_CANVAS_BUS_PREFIX: `bench${Date.now()}` };
  const nodeArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${new URL(`./results/cluster-${variant}/`, import.meta.url).pathname}`] : [];
  const start = (env: Record<string, string>) => GatewayProcess.start(env, 60_000, undefined, nodeArgs);
  const started =
    variant === 'all'
      ? [await start({ ...base, TRADE_CANVAS_ENABLE_WHITELIST_INGEST: '1' })]
      : await Promise.all([
          start({ ...base, ...bus, TRADE_CANVAS_ROLE: 'ingest', TRADE_CANVAS_NODE_NAME: 'ingest-1', TRADE_CANVAS_ENABLE_WHITELIST_INGEST: '1' }),
          start({ ...base, ...bus, TRADE_CANVAS_ROLE: 'read', TRADE_CANVAS_NODE_NAME: 'read-1' }),
          start({ ...base, ...bus, TRADE_CANVAS_ROLE: 'read', TRADE_CANVAS_NODE_NAME: 'read-2' }),
        ]);
  nodes.push(...started);
  const serving = variant === 'all' ? started : started.slice(1);
  await waitFor(
    `${variant}: every stream subscribed`,
    120_000,
    async () => (await ask<{ streams: number }>(exchange, { cmd: 'subscribed' })).streams >= SERIES,
  );
  const fleet = fork(new URL('./lib/ws-fleet.ts', import.meta.url).pathname, [], tsx);
  try {
    for (const [i, node] of serving.entries()) {
      const count = Math.round(CLIENTS / serving.length);
      await ask(fleet, { cmd: 'connect', url: `${node.url.replace('http', 'ws')}/ws/market`, count, series, offset: i * count, sampleEvery: 1 });
    }
    await new Promise((r) => setTimeout(r, 1000));
    let coldClosed: number[] = [];
    if (WARMUP > 0) {
      await ask(fleet, { cmd: 'reset' });
      // Bars go on from where the warm-up stopped: a hole would make every series fill a gap at
      // the start of the measured run.
      const warm = await ask<{ next: { bar: number; index: number } }>(exchange, {
        cmd: 'rate',
        series: SERIES,
        framesPerSecond: RATE,
        seconds: WARMUP,
        firstBar,
      });
      firstBar = warm.next.bar;
      firstIndex = warm.next.index;
      await new Promise((r) => setTimeout(r, 1000));
      coldClosed = [...(await ask<FleetStats>(fleet, { cmd: 'stats' })).closedLatencies].sort((a, b) => a - b);
    }
    await ask(fleet, { cmd: 'reset' });
    const cpuBefore = started.reduce((s, n) => s + processUsage(n.pid).cpuSeconds, 0);
    const rate = await ask<{ sent: number; lastBar: number }>(exchange, {
      cmd: 'rate',
      series: SERIES,
      framesPerSecond: RATE,
      seconds: SECONDS,
      firstBar,
      firstIndex,
    });
    // The next variant has a database of its own: it starts a new sequence after these bars.
    firstBar = rate.lastBar + 10;
    firstIndex = 0;
    await new Promise((r) => setTimeout(r, 1000)); // the last frames' deliveries
    const cpuSeconds = started.reduce((s, n) => s + processUsage(n.pid).cpuSeconds, 0) - cpuBefore;
    const stats = await ask<FleetStats>(fleet, { cmd: 'stats' });
    return {
      closed: [...stats.closedLatencies].sort((a, b) => a - b),
      forming: [...stats.formingLatencies].sort((a, b) => a - b),
      coldClosed,
      closedSent: stats.closedSent,
      closedLatencies: stats.closedLatencies,
      deliveries: stats.messages,
      cpuSeconds,
      framesSent: rate.sent,
    };
  } finally {
    fleet.send({ cmd: 'close' });
    // A profiled node writes its profile on a graceful stop.
    await Promise.all(started.map((n) => n.kill(PROFILE ? 'SIGTERM' : 'SIGKILL')));
  }
}

try {
  const { port } = await ask<{ port: number }>(exchange, { cmd: 'start' });
  const one = await measure('all', port);
  const cluster = await measure('cluster', port);
  if (SAMPLES) {
    for (const [variant, m] of [
      ['all', one],
      ['cluster', cluster],
    ] as const) {
      const file = new URL(`./results/cluster-samples-${variant}.json`, import.meta.url).pathname;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify({ sent: m.closedSent, latency: m.closedLatencies }));
    }
  }
  const row = (name: string, m: Measured): Row => ({
    setup: name,
    'closed p50 ms': percentile(m.closed, 50),
    'closed p99 ms': percentile(m.closed, 99),
    'forming p50 ms': percentile(m.forming, 50),
    'forming p99 ms': percentile(m.forming, 99),
    'deliveries/s': Math.round(m.deliveries / SECONDS),
    'node CPU s': m.cpuSeconds,
    'CPU ms per 1k deliveries': (m.cpuSeconds / Math.max(1, m.deliveries)) * 1e6,
  });
  report(
    'cluster',
    `Cluster: ${SERIES} series, ${RATE} frames/s (half closed) for ${SECONDS} s, ${CLIENTS} clients (one series each), PostgreSQL`,
    [row('1 all node (no bus)', one), row('1 ingest + 2 read (NATS)', cluster)],
    [
      `target: cross-node closed p99 ≤ 2× the single node's at 10k deliveries/s`,
      `closed p99: cluster ${percentile(cluster.closed, 99).toFixed(2)} ms vs one node ${percentile(one.closed, 99).toFixed(2)} ms (× ${(percentile(cluster.closed, 99) / percentile(one.closed, 99)).toFixed(2)}); samples ${cluster.closed.length} / ${one.closed.length}`,
      WARMUP > 0
        ? `after ${WARMUP} s of warm-up at the same load (fresh nodes' first traffic, not measured above: closed p99 one node ${percentile(one.coldClosed, 99).toFixed(2)} ms, cluster ${percentile(cluster.coldClosed, 99).toFixed(2)} ms)`
        : "no warm-up: the run includes the fresh nodes' first traffic",
      `frames sent: ${one.framesSent} / ${cluster.framesSent}; node CPU is the sum over the variant's gateway processes (nats-server not included)`,
    ],
  );
} finally {
  exchange.send({ cmd: 'close' });
  await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
  await nats.destroy();
  await pg.destroy();
  rmSync(dir, { recursive: true, force: true });
}
