/**
 * Micro-benchmark of reading a REST klines page into packed candles (issue 11, first-open cost:
 * the ingest worker reads every page of a never-seen series' tail).
 *
 *   npm run bench:micro:rest-parse [-- --quick]
 *
 * Baseline: JSON.parse + parseKlineRows (what BinanceRestClient did). Ours: readKlinePage — the
 * scanner (src/domain/binance-rest-scan.ts), JSON.parse only when the text is not in Binance's
 * layout. Two 1,000-row page shapes: the fake exchange's (tools/fake-binance: 4-decimal prices,
 * zeros for the fields past close time; what bench:first-open reads) and Binance's own (every
 * decimal padded to 8 places, quote and taker volumes filled in: ~1.6× the text). Each page is
 * checked bit for bit against the baseline first. CPU time of this thread, best of interleaved rounds.
 *
 * Second part: the candles' answer JSON for a first read (`{"candle_time":...},...`). Baseline:
 * candleObjectsJson, formatting each double (what the main thread did while the commit ran). Ours:
 * candlesJsonFromDecimals on the ingest worker, copying the page's own digits (the scanner's
 * spans); the texts are checked equal first. What the spans add to the scan is its own row
 * (scanner with spans).
 */
import { benchArgs } from '../lib/bench-args.js';
import { report, type Row } from '../lib/report.js';
import { readKlinePage } from '../../src/domain/binance-kline-page.js';
import { scanKlineRows } from '../../src/domain/binance-rest-scan.js';
import { candleObjectsJson } from '../../src/protocol/candle-json.js';
import { candlesJsonFromDecimals } from '../../src/protocol/candle-json-text.js';
import { parseKlineRows } from '../../src/domain/binance-rest-rows.js';
import { klineRow } from '../../tools/fake-binance/fake-rest.js';
import { intervalOf } from '../../tools/fake-binance/intervals.js';
import { KlineGenerator, type Bar } from '../../tools/fake-binance/kline-generator.js';

const { quick } = benchArgs();
const ROUNDS = quick ? 2 : 7;
const ROUND_MS = quick ? 100 : 500;
const PAGE_ROWS = 1000;
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'ETHBTC', 'DOGEUSDT', 'SOLUSDT', 'XRPUSDT', 'BNBUSDT', 'ADAUSDT'];
const NOW = Date.UTC(2026, 10, 22, 13, 37, 12);

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** A row as Binance writes it: 8 decimal places everywhere, the volumes past close time filled in. */
function binanceRow(b: Bar): unknown[] {
  const f = (x: number) => x.toFixed(8);
  const quote = +b.v * +b.c;
  return [b.t, f(+b.o), f(+b.h), f(+b.l), f(+b.c), f(+b.v), b.T, f(quote), b.n, f(+b.v * 0.48), f(quote * 0.48), '0'];
}

const generator = new KlineGenerator({ seed: 11, originMs: NOW, historyDays: 60 });
const bars = SYMBOLS.map((s) => generator.klines(s, intervalOf('15m')!, { limit: PAGE_ROWS, now: NOW }));
// Flat strings, as undici's body.text() gives them.
const shapes: Record<string, string[]> = {
  fake: bars.map((page) => Buffer.from(JSON.stringify(page.map(klineRow))).toString()),
  Binance: bars.map((page) => Buffer.from(JSON.stringify(page.map(binanceRow))).toString()),
};

const baseline = (text: string) => parseKlineRows(JSON.parse(text), NOW);
const scanner = (text: string) => readKlinePage(text, NOW);

for (const [shape, pages] of Object.entries(shapes)) {
  for (const text of pages) {
    const a = baseline(text)!;
    const b = scanner(text);
    if (typeof b !== 'object' || b.count !== a.count || b.open !== a.open || b.malformed !== a.malformed || b.lastOpenMs !== a.lastOpenMs) {
      throw new Error(`${shape} page: the scanner and the JSON path disagree`);
    }
    if (!Buffer.from(a.candles.buffer).equals(Buffer.from(b.candles.buffer))) throw new Error(`${shape} page: candles differ`);
  }
}

const scanned = new Map<string, ReturnType<typeof withSpans>>();
function withSpans(text: string) {
  return scanKlineRows(text, NOW, { decimalSpans: true })!;
}
for (const pages of Object.values(shapes)) {
  for (const text of pages) {
    const page = withSpans(text);
    const made = candlesJsonFromDecimals(text, page.candles, page.decimalSpans!).bytes;
    if (Buffer.from(made.buffer, made.byteOffset, made.byteLength).toString('latin1') !== candleObjectsJson(page.candles, 0, page.count)) {
      throw new Error('the JSON written from the digits differs from candleObjectsJson');
    }
    scanned.set(text, page);
  }
}
const fromDoubles = (text: string) => {
  const page = scanned.get(text)!;
  return candleObjectsJson(page.candles, 0, page.count).length;
};
const fromDigits = (text: string) => {
  const page = scanned.get(text)!;
  return candlesJsonFromDecimals(text, page.candles, page.decimalSpans!).bytes.length;
};

let sink = 0;
const cases: Record<string, [string[], (text: string) => unknown]> = {};
for (const [shape, pages] of Object.entries(shapes)) {
  cases[`${shape}: JSON.parse + parseKlineRows`] = [pages, baseline];
  cases[`${shape}: scanner (readKlinePage)`] = [pages, scanner];
  cases[`${shape}: scanner with spans`] = [pages, withSpans];
  cases[`${shape} JSON: candleObjectsJson (formats doubles)`] = [pages, fromDoubles];
  cases[`${shape} JSON: candlesJsonFromDecimals (copies digits)`] = [pages, fromDigits];
}
const best: Record<string, number> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, [pages, read]] of Object.entries(cases)) {
    let count = 0;
    const start = cpuMs();
    let now = start;
    while (now - start < ROUND_MS) {
      for (const text of pages) if (read(text) !== undefined) sink++;
      count += pages.length;
      now = cpuMs();
    }
    best[name] = Math.min(best[name] ?? Infinity, (now - start) / count);
  }
}
if (sink < 0) console.log(sink);

const rows: Row[] = Object.entries(best).map(([what, ms]) => {
  const shape = what.slice(0, what.indexOf(what.includes(' JSON:') ? ' JSON:' : ':'));
  const isJson = what.includes(' JSON:');
  const base = isJson ? best[`${shape} JSON: candleObjectsJson (formats doubles)`]! : best[`${shape}: JSON.parse + parseKlineRows`]!;
  return { what, 'bytes/page': Math.round(shapes[shape]!.reduce((n, t) => n + t.length, 0) / shapes[shape]!.length), 'ms/page': ms, 'speed-up': base / ms };
});
report(
  'micro-rest-klines-parse',
  `REST klines page → packed candles, ${PAGE_ROWS}-row 15m pages of ${SYMBOLS.length} symbols (CPU ms per page, best of ${ROUNDS} interleaved rounds)`,
  rows,
  [
    'every page checked first: the scanner gives the JSON path result, candles bit for bit; the JSON from the digits equals candleObjectsJson',
    'JSON rows: candleObjectsJson ran on the main thread; candlesJsonFromDecimals runs on the ingest worker, on the spans of the scan above',
  ],
);
