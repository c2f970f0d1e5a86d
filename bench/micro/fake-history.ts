/**
 * What a REST klines page costs the fake exchange now that it makes history on demand from price
 * paths (tools/fake-binance/price-path.ts), against a baseline measured in the same run: serving
 * 1,500 bars it already holds (rows + JSON, what the fake did when it kept every bar it made).
 *   npm run bench:micro:fake-history [-- --quick]
 *
 * "cold" pages are the newest 1,500 1m bars of a symbol never asked for (its two days are made);
 * "warm" pages are older 1,500-bar pages of days already made (the usual case for a client paging
 * back); a day of minutes and a symbol's whole 1d history are the one-time costs behind them.
 * CPU time of this thread (other processes inflate wall time, not this), best of interleaved rounds.
 */
import { benchArgs } from '../lib/bench-args.js';
import { report, type Row } from '../lib/report.js';
import { klineRow } from '../../tools/fake-binance/fake-rest.js';
import { intervalOf } from '../../tools/fake-binance/intervals.js';
import { KlineGenerator } from '../../tools/fake-binance/kline-generator.js';
import { CALM, makeDay } from '../../tools/fake-binance/path-day.js';

const { quick } = benchArgs();
const ROUNDS = quick ? 2 : 7;
const ROUND_MS = quick ? 100 : 500;
const PAGE = 1500;
/** One trade per forming update at real time: the most trades per minute a default fake makes. */
const TRADES_PER_MINUTE = 240;
const ONE_MINUTE = intervalOf('1m')!;
const ONE_DAY = intervalOf('1d')!;
const NOW = Date.UTC(2026, 10, 22, 13, 37, 12);
const DAY_MS = 86_400_000;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

let sink = 0;
const page = (bars: ReadonlyArray<Parameters<typeof klineRow>[0]>) => (sink += JSON.stringify(bars.map(klineRow)).length);

// Warm: a generator whose 30 days are made; pages of 1,500 bars anywhere in them.
const warm = new KlineGenerator({ seed: 1, originMs: NOW, tradesPerMinute: TRADES_PER_MINUTE, cachedDays: 64 });
warm.klines('BTCUSDT', ONE_MINUTE, { startTime: 0, limit: 1, now: NOW });
const stored = warm.klines('BTCUSDT', ONE_MINUTE, { limit: PAGE, now: NOW });
let warmPage = 0;
let coldSymbol = 0;
let cold = new KlineGenerator({ seed: 2, originMs: NOW, tradesPerMinute: TRADES_PER_MINUTE });

const cases: Record<string, () => void> = {
  'stored 1,500 bars → JSON (baseline)': () => page(stored),
  'warm page (days made)': () => page(warm.klines('BTCUSDT', ONE_MINUTE, { endTime: NOW - (warmPage++ % 25) * DAY_MS, limit: PAGE, now: NOW })),
  'cold page (new symbol: 2 days made)': () => {
    // A fresh generator now and then: its path index would otherwise grow with every symbol.
    if (++coldSymbol % 200 === 0) cold = new KlineGenerator({ seed: 2 + coldSymbol, originMs: NOW, tradesPerMinute: TRADES_PER_MINUTE });
    page(cold.klines(`S${coldSymbol}USDT`, ONE_MINUTE, { limit: PAGE, now: NOW }));
  },
};

const best: Record<string, number> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(cases)) {
    let count = 0;
    const start = cpuMs();
    let now = start;
    while (now - start < ROUND_MS) {
      run();
      count++;
      now = cpuMs();
    }
    best[name] = Math.min(best[name] ?? Infinity, (now - start) / count);
  }
}

/** One-time costs: best of a few runs. */
function once(fn: (i: number) => void, runs: number): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = cpuMs();
    fn(i);
    min = Math.min(min, cpuMs() - start);
  }
  return min;
}
const dayMs = once(
  (i) =>
    void makeDay(
      { seed: 7 + i, tradesPerMinute: TRADES_PER_MINUTE, minuteSigma: 0.0015, activitySpread: 0.5, extraTradeProbability: 0.3 },
      20_000 + i,
      'forward',
      1_000_000,
      CALM,
    ),
  quick ? 5 : 40,
);
const historyMs = once(
  (i) => {
    const gen = new KlineGenerator({ seed: 100 + i, originMs: NOW, historyDays: 400, tradesPerMinute: TRADES_PER_MINUTE });
    page(gen.klines('BTCUSDT', ONE_DAY, { limit: 1000, now: NOW }));
  },
  quick ? 1 : 3,
);

const baseline = best['stored 1,500 bars → JSON (baseline)']!;
const rows: Row[] = Object.entries(best).map(([what, ms]) => ({ what, 'ms/page': ms, 'pages/s': Math.round(1000 / ms), 'vs baseline': ms / baseline }));
rows.push({ what: 'one day of 1m minutes (1,440, made once)', 'ms/page': dayMs, 'pages/s': '', 'vs baseline': '' });
rows.push({ what: '1d history of a new symbol, 400 days (once)', 'ms/page': historyMs, 'pages/s': '', 'vs baseline': '' });
if (sink < 0) console.log(sink);
report(
  'micro-fake-history',
  `Fake exchange REST history: 1,500-row 1m pages, ${TRADES_PER_MINUTE} trades per minute (CPU ms, best of ${ROUNDS} interleaved rounds)`,
  rows,
  ['target: a cold page (days not made yet) under 2 ms; warm pages within 3× the stored-bars baseline'],
);
