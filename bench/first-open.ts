/**
 * First open of a never-seen series (issue 11): the time from a chart's first
 * `GET /api/market/candles?series_id=S&limit=2000` to its 2,000-candle answer, when the gateway
 * has to fetch the whole tail from the exchange (tail coverage: REST through an ingest worker,
 * commit through the writer, then the read). Baseline, measured in the same run on the same
 * series: fetching the same klines straight from the fake exchange with undici — the same pages,
 * asked the same way, JSON parsed — and doing nothing else. p50 and p99 over `--series` series
 * (each opened once; baseline and gateway alternate which goes first), after `--warm-up` series
 * (spot 100; futures and --quick 5) opened the same way and not measured.
 *
 * The gateway runs in its own process, the fake exchange in this one. `--latency-ms` holds every
 * REST answer back that long (a real exchange is tens of ms away; the fake is on loopback).
 *
 *   npm run bench:first-open [-- --quick] [--series=50] [--warm-up=100] [--latency-ms=0] [--market=spot|futures] [--profile]
 *
 * `--profile` writes a CPU profile of each gateway thread to bench/results/ (read them with
 * bench/profile-summary.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { newestPageCount, olderPages } from '../src/domain/older-pages.js';
import { GatewayProcess } from '../test/support/gateway-process.js';
import { FakeBinance } from '../tools/fake-binance/fake-binance.js';
import { benchArgs, numberOption } from './lib/bench-args.js';
import { processUsage } from './lib/process-usage.js';
import { percentile, report, type Row } from './lib/report.js';

const { quick, args } = benchArgs();
const SERIES = numberOption(args, 'series', quick ? 5 : 50);
const LATENCY_MS = numberOption(args, 'latency-ms', 0);
const PROFILE = args.includes('--profile');
const MARKET = (args.find((a) => a.startsWith('--market='))?.slice(9) ?? 'spot') as 'spot' | 'futures';
const TAIL = 2000;
const INTERVAL = '15m';
const TF_MS = 900_000;
const TARGET_RATIO = 1.3;
// Futures' REST weight is 2,400 a minute per IP, and the fake counts it like Binance: 2,000 bars
// cost 15, for the baseline and the gateway alike, and the gateway keeps under 80% of the IP's
// count. 60 such pairs a minute is all it pays for; beyond, the gateway rightly waits.
const WARM_UP = numberOption(args, 'warm-up', quick || MARKET === 'futures' ? 5 : 100);
const PAGE = MARKET === 'spot' ? 1000 : 1500;
const PATH = MARKET === 'spot' ? '/api/v3/klines' : '/fapi/v1/klines';

/**
 * The same pages the gateway asks for, the same way (older-pages.ts decides both): the newest
 * first (it carries the forming bar and says where the exchange is), then the older ones together.
 */
async function baselineFetch(rest: string, symbol: string): Promise<number> {
  const get = async (query: string) => (await (await request(`${rest}${PATH}?symbol=${symbol}&interval=${INTERVAL}${query}`)).body.json()) as number[][];
  const newest = newestPageCount(TAIL, PAGE);
  const first = await get(`&limit=${newest + 1}`);
  const pages = olderPages(first[0]![0]! / 1000, TAIL - newest, null, PAGE, TF_MS / 1000);
  const older = pages.map((p) => get(`&startTime=${p.from * 1000}&endTime=${p.to * 1000}&limit=${(p.to - p.from) / (TF_MS / 1000) + 1}`));
  return first.length - 1 + (await Promise.all(older)).reduce((n, rows) => n + rows.length, 0);
}

async function gatewayRead(url: string, seriesId: string): Promise<number> {
  const res = await request(`${url}/api/market/candles?series_id=${encodeURIComponent(seriesId)}&limit=${TAIL}`);
  const body = (await res.body.json()) as { candles: unknown[] };
  return body.candles.length;
}

async function timed(fn: () => Promise<number>): Promise<[number, number]> {
  const t0 = performance.now();
  const n = await fn();
  return [performance.now() - t0, n];
}

const fake = await FakeBinance.start({ generator: { backfillBars: TAIL + 100 } });
fake.rest.latencyMs = LATENCY_MS;
const dir = mkdtempSync(join(tmpdir(), 'kline-bench-first-open-'));
const gw = await GatewayProcess.start(
  {
    TRADE_CANVAS_DB_PATH: join(dir, 'market.db'),
    TRADE_CANVAS_WHITELIST_PATH: join(dir, 'none.json'),
    TRADE_CANVAS_ENABLE_ONDEMAND_INGEST: '1',
    TRADE_CANVAS_BINANCE_SPOT_WS_URL: fake.wsUrl('spot'),
    TRADE_CANVAS_BINANCE_FUTURES_WS_URL: fake.wsUrl('futures'),
    TRADE_CANVAS_BINANCE_SPOT_REST_URL: fake.restUrl(),
    TRADE_CANVAS_BINANCE_FUTURES_REST_URL: fake.restUrl(),
    TRADE_CANVAS_LOG_LEVEL: 'info', // GatewayProcess waits for the 'listening' line
  },
  30_000,
  undefined,
  PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${new URL('./results/', import.meta.url).pathname}`] : [],
);
try {
  const symbols = Array.from({ length: SERIES + WARM_UP }, (_, i) => `B${i}X`);
  // The streams exist (and their history is generated) before anything is timed, and neither
  // side pays for making them; the fake stands still so "the last closed bar" cannot move.
  for (const s of symbols) fake.generators[MARKET].addStream(`${s.toLowerCase()}usdt@kline_${INTERVAL}`, fake.now());
  fake.pause();
  const seriesOf = (s: string) => `binance:${MARKET}:${s}/USDT:${INTERVAL}`;
  // Warm-up, not measured: connections, the worker's first REST call, and the JIT. A per-open
  // function runs once or twice per first open, and V8 optimizes it after a few hundred calls; with
  // one warm-up open, the measured opens shared the cores with TurboFan compiling them (perf put a
  // quarter of the gateway's CPU in V8's compiler threads). A gateway in service is long past that.
  for (const s of symbols.slice(SERIES)) {
    await baselineFetch(fake.restUrl(), `${s}USDT`);
    await gatewayRead(gw.url, seriesOf(s));
  }

  const base: number[] = [];
  const first: number[] = [];
  // The gateway's own CPU (every thread: main, writer, ingest, V8's background threads) per first
  // open: on a machine whose cores the exchange and clients share, it is what lengthens the wait.
  const cpuBefore = processUsage(gw.pid).cpuSeconds;
  for (let i = 0; i < SERIES; i++) {
    const symbol = symbols[i]!;
    const runBase = () => timed(() => baselineFetch(fake.restUrl(), `${symbol}USDT`));
    const runGateway = () => timed(() => gatewayRead(gw.url, seriesOf(symbol)));
    let b: [number, number];
    let g: [number, number];
    if (i % 2 === 0) {
      b = await runBase();
      g = await runGateway();
    } else {
      g = await runGateway();
      b = await runBase();
    }
    if (b[1] !== TAIL || g[1] !== TAIL) throw new Error(`${symbol}: baseline got ${b[1]} bars, the gateway ${g[1]} (wanted ${TAIL})`);
    base.push(b[0]);
    first.push(g[0]);
  }
  const gatewayCpuMs = ((processUsage(gw.pid).cpuSeconds - cpuBefore) * 1000) / SERIES;
  base.sort((a, b) => a - b);
  first.sort((a, b) => a - b);
  const rows: Row[] = [
    { path: `undici → fake REST (baseline)`, 'p50 ms': percentile(base, 50), 'p99 ms': percentile(base, 99), ratio: '' },
    {
      path: 'GET limit=2000, never-seen series',
      'p50 ms': percentile(first, 50),
      'p99 ms': percentile(first, 99),
      ratio: `${(percentile(first, 50) / percentile(base, 50)).toFixed(2)}× p50, ${(percentile(first, 99) / percentile(base, 99)).toFixed(2)}× p99`,
    },
  ];
  const ratio = percentile(first, 50) / percentile(base, 50);
  report('first-open', `First open of a never-seen ${MARKET} ${INTERVAL} series: ${TAIL} candles from the exchange`, rows, [
    `${SERIES} series, ${Math.ceil((TAIL + 1) / PAGE)} REST pages each, fake REST latency ${LATENCY_MS} ms per answer`,
    `gateway process CPU per first open (all its threads): ${gatewayCpuMs.toFixed(1)} ms`,
    `target ≤ ${TARGET_RATIO}× the baseline at p50: ${ratio <= TARGET_RATIO ? 'met' : 'missed'} (${ratio.toFixed(2)}×); the gateway's own cost ≈ ${(percentile(first, 50) - percentile(base, 50)).toFixed(1)} ms per first open at p50`,
  ]);
} finally {
  await gw.kill('SIGTERM');
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
}
