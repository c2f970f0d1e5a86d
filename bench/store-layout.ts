/**
 * Store layout benchmark: our WITHOUT ROWID candles table vs the rowid table trade_canvas created
 * (which the store adopts as-is), and rows per upsert statement. Both go through the real
 * SqliteCandleStore; only the table definition differs.
 *
 *   npm run bench:store [-- --quick]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANDLE_STRIDE } from '../src/domain/candle.js';
import { SqliteCandleStore, openRawSqlite } from '../src/writer/sqlite-candle-store.js';
import { benchArgs } from './lib/bench-args.js';
import { report, timeMs, type Row } from './lib/report.js';

// Only to pre-create the legacy rowid table that the store then adopts.

const { quick } = benchArgs();
const BULK_ROWS = quick ? 50_000 : 1_000_000;
const LIVE_SERIES = quick ? 100 : 1000;
const LIVE_DRAINS = quick ? 20 : 200;
const READS = quick ? 50 : 500;

function candles(n: number, start: number): Float64Array {
  const out = new Float64Array(n * CANDLE_STRIDE);
  for (let i = 0; i < n; i++) {
    const b = i * CANDLE_STRIDE;
    const p = 30000 + Math.sin(i / 50) * 500;
    out[b] = start + 60 * i;
    out[b + 1] = p;
    out[b + 2] = p + 10;
    out[b + 3] = p - 10;
    out[b + 4] = p + 1;
    out[b + 5] = 100 + (i % 17);
  }
  return out;
}

function openStore(dir: string, layout: 'without_rowid' | 'rowid', rowsPerStatement = 100, name = `${layout}.db`): SqliteCandleStore {
  const path = join(dir, name);
  if (layout === 'rowid') {
    const db = openRawSqlite(path);
    db.exec(
      'CREATE TABLE candles (series_id TEXT NOT NULL, candle_time INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL, volume REAL NOT NULL, PRIMARY KEY (series_id, candle_time))',
    );
    db.close();
  }
  return new SqliteCandleStore(path, { rowsPerStatement });
}

function measureLayout(dir: string, layout: 'without_rowid' | 'rowid'): Row {
  const store = openStore(dir, layout);
  const series = 'binance:futures:BTC/USDT:1m';
  const bulk = candles(BULK_ROWS, 1_600_000_000);
  const bulkMs = timeMs(() => {
    for (let i = 0; i < BULK_ROWS; i += 50_000) {
      store.begin();
      store.upsert(series, bulk, i, Math.min(BULK_ROWS, i + 50_000));
      store.commit();
    }
  });
  // Live shape: every drain writes one new candle for each of many series.
  const ids = Array.from({ length: LIVE_SERIES }, (_, i) => `binance:futures:S${i}/USDT:1m`);
  const liveMs = timeMs(() => {
    for (let d = 0; d < LIVE_DRAINS; d++) {
      const one = candles(1, 1_700_000_000 + 60 * d);
      store.begin();
      for (const id of ids) store.upsert(id, one);
      store.commit();
    }
  });
  const tailMs = timeMs(() => {
    for (let r = 0; r < READS; r++) store.tail(series, 2000);
  });
  const afterMs = timeMs(() => {
    for (let r = 0; r < READS; r++) store.after(series, 1_600_000_000 + 60 * ((r * 7919) % (BULK_ROWS - 600)), 500);
  });
  const path = store.path;
  store.close();
  return {
    layout,
    'bulk rows/s': Math.round(BULK_ROWS / (bulkMs / 1000)),
    'live rows/s': Math.round((LIVE_SERIES * LIVE_DRAINS) / (liveMs / 1000)),
    'tail(2000) ms': tailMs / READS,
    'after(500) ms': afterMs / READS,
    'file MiB': statSync(path).size / 2 ** 20,
  };
}

/** One bulk transaction of `n` rows at `rowsPerStatement`; returns ms. */
function timeStatementSize(dir: string, rowsPerStatement: number, round: number, data: Float64Array): number {
  // Its own file per size: every size writes into a database of the same shape.
  const store = openStore(dir, 'without_rowid', rowsPerStatement, `rows-per-statement-${rowsPerStatement}.db`);
  try {
    return timeMs(() => {
      store.begin();
      store.upsert(`binance:futures:R${round}/USDT:1m`, data);
      store.commit();
    });
  } finally {
    store.close();
  }
}

/**
 * Best of three rounds, the sizes interleaved within each round and a warm-up first: measured one
 * size after another, whichever came first absorbed JIT and WASM memory growth.
 */
function measureStatementSizes(dir: string, sizes: number[]): Row[] {
  const n = Math.min(BULK_ROWS, 300_000);
  const data = candles(n, 1_600_000_000);
  timeStatementSize(dir, 100, -1, data);
  const best = new Map(sizes.map((r) => [r, Infinity]));
  for (let round = 0; round < 3; round++) {
    for (const r of sizes) best.set(r, Math.min(best.get(r)!, timeStatementSize(dir, r, round, data)));
  }
  return sizes.map((r) => ({ 'rows/statement': r, 'rows/s': Math.round(n / (best.get(r)! / 1000)) }));
}

const dir = mkdtempSync(join(tmpdir(), 'kline-bench-store-'));
try {
  const layouts = [measureLayout(dir, 'rowid'), measureLayout(dir, 'without_rowid')];
  const base = layouts[0]!;
  const ours = layouts[1]!;
  const ratio = (k: string) => (ours[k] as number) / (base[k] as number);
  report(
    'store-layout',
    `Store layout: WITHOUT ROWID vs rowid table (${BULK_ROWS.toLocaleString('en-US')} bulk rows, ${LIVE_SERIES} series × ${LIVE_DRAINS} live drains)`,
    layouts,
    [
      `WITHOUT ROWID / rowid: bulk ${ratio('bulk rows/s').toFixed(2)}×, live ${ratio('live rows/s').toFixed(2)}×, tail read time ${ratio('tail(2000) ms').toFixed(2)}×, file size ${ratio('file MiB').toFixed(2)}×`,
    ],
  );
  const sizes = measureStatementSizes(dir, [1, 10, 50, 100, 250, 1000]);
  const best = sizes.reduce((a, b) => ((b['rows/s'] as number) > (a['rows/s'] as number) ? b : a));
  report('store-rows-per-statement', 'Rows per multi-row upsert statement (one transaction)', sizes, [
    `fastest: ${best['rows/statement']} rows/statement; the 1-row statement is the baseline: ${((best['rows/s'] as number) / (sizes[0]!['rows/s'] as number)).toFixed(2)}×`,
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
