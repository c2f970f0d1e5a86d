/**
 * WebSocket fan-out benchmark (issue 6 §2). Clients (raw sockets, in FLEETS separate processes)
 * subscribe over 100 series; a synthetic feed injects forming and closed candles at a fixed rate
 * inside the server process. Reported: deliveries/s, ingest → client latency percentiles, drops,
 * server CPU and RSS. Baseline, same clients, same run: uWebSockets.js alone publishing messages
 * of the same shape and size to topics.
 *
 *   npm run bench:fanout [-- --quick] [--clients=1000,5000] [--forming=298] [--closed=2] [--duration=10] [--profile]
 * `--profile` writes a CPU profile of the gateway process to bench/results/ (open in Chrome DevTools).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayProcess } from '../test/support/gateway-process.js';
import { benchArgs, numberOption } from './lib/bench-args.js';
import { cpuShareDuring, processUsage } from './lib/process-usage.js';
import { percentile, report, type Row } from './lib/report.js';
import type { FleetStats } from './lib/ws-fleet.js';

const { quick, args } = benchArgs();
const clientCounts = (
  args
    .find((a) => a.startsWith('--clients='))
    ?.slice(10)
    .split(',') ?? (quick ? ['200'] : ['1000', '5000'])
).map(Number);
const SERIES = Array.from({ length: 100 }, (_, i) => `binance:futures:F${i}/USDT:1m`);
const FORMING = numberOption(args, 'forming', 298);
const CLOSED = numberOption(args, 'closed', 2);
const DURATION_S = numberOption(args, 'duration', quick ? 2 : 10);
const FLEETS = 2;
const PROFILE = args.includes('--profile');
const FLEET = new URL('./lib/ws-fleet.ts', import.meta.url).pathname;

function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(msg);
  });
}

async function startServer(kind: 'raw' | 'gateway', dir: string): Promise<GatewayProcess> {
  if (kind === 'raw') return GatewayProcess.start({}, 30_000, [new URL('./lib/raw-uws-server.ts', import.meta.url).pathname]);
  return GatewayProcess.start(
    {
      TRADE_CANVAS_DB_PATH: join(dir, `market-${Date.now()}.db`),
      TRADE_CANVAS_WHITELIST_PATH: join(dir, 'none.json'),
      TRADE_CANVAS_LOG_LEVEL: 'info',
      TRADE_CANVAS_MARKET_WS_MAX_SUBSCRIPTIONS: '10',
    },
    30_000,
    [
      ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${new URL('./results/', import.meta.url).pathname}`] : []),
      new URL('./lib/bench-gateway.ts', import.meta.url).pathname,
    ],
  );
}

/** Main-thread memory of the gateway (GET /__bench/memory), MiB; null for the raw server. */
async function mainThreadMemory(url: string): Promise<{ heapUsed: number; external: number; threads: number } | null> {
  const res = await fetch(`${url}/__bench/memory`).catch(() => null);
  if (!res || res.status !== 200) return null;
  return (await res.json()) as { heapUsed: number; external: number; threads: number };
}

/** One counter from the gateway's /metrics. */
async function gatewayMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^kline_gateway_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}

/**
 * Waits until every offered frame has arrived, or none has arrived for 500 ms (then the missing
 * ones are drops), at most 10 s. A fixed wait counted frames still in flight on a loaded machine
 * as drops, and left their latencies out of the percentiles.
 */
async function lastFramesLanded(fleets: ChildProcess[], expected: number): Promise<void> {
  let last = -1;
  let quietSince = performance.now();
  for (const deadline = performance.now() + 10_000; performance.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 100));
    const counts = await Promise.all(fleets.map((f) => ask<{ messages: number }>(f, { cmd: 'count' })));
    const received = counts.reduce((n, c) => n + c.messages, 0);
    if (received >= expected) return;
    if (received !== last) [last, quietSince] = [received, performance.now()];
    else if (performance.now() - quietSince >= 500) return;
  }
}

async function run(kind: 'raw' | 'gateway', clients: number, dir: string): Promise<Row> {
  const server = await startServer(kind, dir);
  const rssEmpty = processUsage(server.pid).rssBytes;
  const fleets = Array.from({ length: FLEETS }, () => fork(FLEET, [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }));
  try {
    const wsUrl = `${server.url.replace('http', 'ws')}/ws/market`;
    await Promise.all(fleets.map((f, i) => ask(f, { cmd: 'connect', url: wsUrl, count: clients / FLEETS, series: SERIES, offset: (i * clients) / FLEETS })));
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all(fleets.map((f) => ask(f, { cmd: 'reset' })));
    // At rest: every client connected and subscribed (caught up), nothing published yet.
    const rssIdle = processUsage(server.pid).rssBytes;
    const idleMemory = await mainThreadMemory(server.url);
    const feed = { series: SERIES, formingPerSecond: FORMING, closedPerSecond: CLOSED, durationMs: DURATION_S * 1000 };
    const fleetCpuBefore = fleets.map((f) => processUsage(f.pid!).cpuSeconds);
    const {
      result: sent,
      cpuShare,
      seconds,
    } = await cpuShareDuring(server.pid, async () => {
      const res = await fetch(`${server.url}/__bench/feed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(feed) });
      return (await res.json()) as { forming: number; closed: number };
    });
    const clientCpu = fleets.reduce((sum, f, i) => sum + processUsage(f.pid!).cpuSeconds - fleetCpuBefore[i]!, 0) / seconds;
    const expected = (sent.forming + sent.closed) * (clients / SERIES.length);
    await lastFramesLanded(fleets, expected);
    const rss = processUsage(server.pid).rssBytes;
    const skipped = kind === 'gateway' ? await gatewayMetric(server.url, 'ws_forming_skipped_total') : 0;
    const stats = await Promise.all(fleets.map((f) => ask<FleetStats>(f, { cmd: 'stats' })));
    const received = stats.reduce((n, s) => n + s.messages, 0);
    const latencies = stats.flatMap((s) => s.latencies).sort((a, b) => a - b);
    const closes = stats.reduce<Record<string, number>>((acc, s) => {
      for (const [code, n] of Object.entries(s.closes)) acc[code] = (acc[code] ?? 0) + n;
      return acc;
    }, {});
    return {
      server: kind === 'raw' ? 'raw uWS publish (baseline)' : 'kline-gateway',
      clients,
      'deliveries/s': Math.round(received / seconds),
      'offered/s': Math.round(expected / seconds),
      // The feed runs on the server's main thread: when that thread gets less of a core, the same
      // feed takes longer and its offered rate falls (the ratio of deliveries/s shows it).
      'feed s': seconds,
      'p50 ms': percentile(latencies, 50),
      'p99 ms': percentile(latencies, 99),
      'p99.9 ms': percentile(latencies, 99.9),
      'drops %': (100 * Math.max(0, expected - received)) / expected,
      // Of those, forming updates the gateway skipped on purpose (slow consumers, budget pressure).
      'skipped %': (100 * skipped) / expected,
      'server CPU': cpuShare,
      'clients CPU': clientCpu,
      'RSS empty MiB': rssEmpty / 2 ** 20,
      'RSS idle MiB': rssIdle / 2 ** 20,
      'RSS MiB': rss / 2 ** 20,
      'heap idle MiB': idleMemory ? idleMemory.heapUsed / 2 ** 20 : '-',
      threads: idleMemory?.threads ?? '-',
      closes:
        Object.entries(closes)
          .map(([c, n]) => `${c}×${n}`)
          .join(' ') || '-',
    };
  } finally {
    for (const f of fleets) f.send({ cmd: 'close' });
    // A profiled gateway must exit normally to write its profile.
    await server.kill(PROFILE && kind === 'gateway' ? 'SIGTERM' : 'SIGKILL');
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kline-bench-fanout-'));
try {
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const clients of clientCounts) {
    const raw = await run('raw', clients, dir);
    const gw = await run('gateway', clients, dir);
    rows.push(raw, gw);
    notes.push(
      `${clients} clients: gateway delivered ${((gw['deliveries/s'] as number) / (raw['deliveries/s'] as number)).toFixed(2)}× the raw uWS baseline's deliveries/s`,
    );
  }
  notes.push('CPU columns are shares of one core; server + clients near 2.0 means the 2-core machine, not the server, bounds latency');
  notes.push(
    "RSS empty: server started, no client; idle: every client connected and subscribed, nothing published; RSS: after the load. heap idle: the gateway main thread's V8 heap in use at idle; threads: the process's OS threads (V8 isolates of the worker threads included)",
  );
  notes.push(`100 series, ${FORMING} forming + ${CLOSED} closed candles per series per second, ${DURATION_S} s, clients in ${FLEETS} processes (raw sockets)`);
  report('fanout', 'WebSocket fan-out: kline-gateway vs raw uWebSockets.js publish', rows, notes);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
