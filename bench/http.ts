/**
 * HTTP read benchmark with autocannon (issue 6 §1). The gateway runs in its own process with a 1m
 * series of 100,000 stored candles; autocannon runs here. Each read is compared with a constant
 * body of the same byte size served by the same server through the same router (the baseline:
 * "no work at all"), measured in the same run.
 *
 *   npm run bench:http [-- --quick] [--connections=64] [--duration=10]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { GatewayProcess } from '../test/support/gateway-process.js';
import { benchArgs, numberOption } from './lib/bench-args.js';
import { cpuShareDuring, processUsage } from './lib/process-usage.js';
import { report, type Row } from './lib/report.js';

const { quick, args } = benchArgs();
const CANDLES = quick ? 20_000 : 100_000;
const CONNECTIONS = numberOption(args, 'connections', quick ? 16 : 64);
const DURATION_S = numberOption(args, 'duration', quick ? 2 : 10);
const SERIES = 'binance:futures:BTC/USDT:1m';
const ENTRY = new URL('./lib/bench-gateway.ts', import.meta.url).pathname;

interface Load {
  reqPerS: number;
  p50: number;
  p99: number;
  mbPerS: number;
  errors: number;
  clientCpu: number;
  serverCpu: number;
}

async function load(url: string, serverPid: number): Promise<Load> {
  const clientBefore = process.cpuUsage();
  const t0 = performance.now();
  const { result: r, cpuShare } = await cpuShareDuring(serverPid, () => autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1 }));
  const seconds = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(clientBefore);
  return {
    reqPerS: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mbPerS: r.throughput.average / 2 ** 20,
    errors: r.errors + r.non2xx + r.timeouts,
    clientCpu: (client.user + client.system) / 1e6 / seconds,
    serverCpu: cpuShare,
  };
}

async function seed(base: string): Promise<void> {
  for (let start = 0; start < CANDLES; start += 20_000) {
    const candles = Array.from({ length: Math.min(20_000, CANDLES - start) }, (_, i) => {
      const t = 1_600_000_020 + 60 * (start + i);
      const p = 30_000 + Math.sin((start + i) / 97) * 400;
      return { candle_time: t - (t % 60), open: p, high: p + 12.5, low: p - 7.25, close: p + 3.125, volume: 100 + ((start + i) % 37) };
    });
    const res = await fetch(`${base}/api/dev/market/ingest/candles_closed_batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ series_id: SERIES, candles }),
    });
    if (!res.ok) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
  }
}

function wrkRequestsPerSecond(url: string): number | null {
  const run = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${Math.max(2, DURATION_S / 2)}s`, url], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return null;
  const match = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  return match ? Number(match[1]) : null;
}

const dir = mkdtempSync(join(tmpdir(), 'kline-bench-http-'));
const gw = await GatewayProcess.start(
  {
    TRADE_CANVAS_DB_PATH: join(dir, 'market.db'),
    TRADE_CANVAS_WHITELIST_PATH: join(dir, 'none.json'),
    TRADE_CANVAS_ENABLE_DEV_API: '1',
    TRADE_CANVAS_LOG_LEVEL: 'info',
  },
  30_000,
  [ENTRY],
);
try {
  await seed(gw.url);
  const q = encodeURIComponent(SERIES);
  const lastTime = 1_600_000_020 - (1_600_000_020 % 60) + 60 * (CANDLES - 1);
  const scenarios = [
    { name: 'tail limit=2000 (cache)', path: `/api/market/candles?series_id=${q}&limit=2000` },
    { name: 'since, 500 inside cache', path: `/api/market/candles?series_id=${q}&since=${lastTime - 60 * 1000}&limit=500` },
    { name: 'since, 500 deep (SQLite)', path: `/api/market/candles?series_id=${q}&since=${lastTime - 60 * (CANDLES - 1000)}&limit=500` },
  ];
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const s of scenarios) {
    const probe = await fetch(gw.url + s.path);
    const bytes = (await probe.arrayBuffer()).byteLength;
    if (!probe.ok) throw new Error(`${s.name}: HTTP ${probe.status}`);
    await load(gw.url + s.path, gw.pid); // warm-up: caches, JIT, connections
    const base = await load(`${gw.url}/__bench/constant?bytes=${bytes}`, gw.pid);
    const read = await load(gw.url + s.path, gw.pid);
    for (const [label, r] of [
      [`constant ${bytes} B (baseline)`, base],
      [s.name, read],
    ] as const) {
      rows.push({
        scenario: label,
        'req/s': Math.round(r.reqPerS),
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        'MB/s': r.mbPerS,
        'server CPU': r.serverCpu,
        'client CPU': r.clientCpu,
        errors: r.errors,
      });
    }
    notes.push(`${s.name}: ${(read.reqPerS / base.reqPerS).toFixed(2)}× the constant-body baseline (${bytes} B responses)`);
    if (base.clientCpu > 0.85 || read.clientCpu > 0.85) {
      notes.push(
        `${s.name}: autocannon used ${Math.max(base.clientCpu, read.clientCpu).toFixed(2)} of a core — the load generator, not the server, may be the limit`,
      );
    }
    const wrkTail = wrkRequestsPerSecond(gw.url + s.path);
    const wrkBase = wrkTail === null ? null : wrkRequestsPerSecond(`${gw.url}/__bench/constant?bytes=${bytes}`);
    if (wrkTail !== null && wrkBase !== null)
      notes.push(`${s.name}: wrk cross-check ${Math.round(wrkTail)} req/s vs constant ${Math.round(wrkBase)} req/s = ${(wrkTail / wrkBase).toFixed(2)}×`);
  }
  notes.push(
    `${CONNECTIONS} connections, ${DURATION_S} s per run, ${CANDLES.toLocaleString('en-US')} candles stored; gateway RSS ${(processUsage(gw.pid).rssBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  if (spawnSync('wrk', ['--version']).error) notes.push('wrk not installed (apt-get install wrk) — no cross-check');
  report('http', 'HTTP reads vs a constant body of the same size (autocannon)', rows, notes);
} finally {
  await gw.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
