/**
 * Import rate: a generated 1,000,000-row 1m feather file through the real import path (decode
 * pool thread → writer worker, bulk batches of 50k rows, acked) next to the engine's ceiling
 * measured in the same run. Both write into a fresh database; best and median of `--runs`
 * alternating runs (the machine is shared).
 *
 *   SQLite (default): `INSERT INTO candles SELECT … FROM` a temp table holding the same rows,
 *     through the same driver (node-sqlite3-wasm) with the same pragmas and schema.
 *   PostgreSQL (`--store postgres`, a throwaway cluster): binary COPY of the same rows through the
 *     same driver into an unindexed TEMP table (issue 13's ceiling), and into a logged table
 *     defined like candles (the ceiling of any correct write), one transaction each.
 *
 *   npm run bench:import [-- --quick] [--rows=N] [--runs=N] [--store postgres]
 *
 * Reference: freqtrade loads 2.7M 1m rows from feather in 3.5 s (0.77M rows/s, load only, no store).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANDLE_STRIDE } from '../src/domain/candle.js';
import { createDecodePool } from '../src/main/history/decode-pool.js';
import { writeDatadir } from '../tools/fixtures/fixture-writer.js';
import { HistoryImporter } from '../src/main/history/importer.js';
import { setLogLevel } from '../src/shared/log.js';
import { acquireStoreOwnership } from '../src/main/store/store-ownership.js';
import { migrate } from '../src/writer/schema.js';
import { connectionPragmas, openRawSqlite } from '../src/writer/sqlite-candle-store.js';
import { WorkerStore } from '../src/main/store/worker-store.js';
import type { WriterSettings } from '../src/writer/contract.js';
import type { LocalCluster } from '../tools/pg/local-cluster.js';
import { benchArgs, numberOption } from './lib/bench-args.js';
import { benchPostgres, storeOption } from './lib/bench-pg.js';
import { PgCeilings } from './lib/pg-ceilings.js';
import { percentile, report, type Row } from './lib/report.js';

// The ceiling needs a temp table on the store's own kind of connection: bench code may use the binding.

const { quick, args } = benchArgs();
const STORE = storeOption(args);
const ROWS = numberOption(args, 'rows', quick ? 50_000 : 1_000_000);
const RUNS = numberOption(args, 'runs', quick ? 1 : 5);
const SERIES = 'binance:spot:BTC/USDT:1m';
const TARGET_RATIO = 0.7;
setLogLevel('warn');

const root = mkdtempSync(join(tmpdir(), 'kline-bench-import-'));
const pool = createDecodePool();

/** Engine-only rate: the rows are already inside SQLite; one statement copies them into `candles`. */
function ceilingRun(dir: string, candles: Float64Array): number {
  const db = openRawSqlite(join(dir, 'ceiling.db'));
  try {
    db.exec(connectionPragmas());
    migrate(db);
    db.exec('CREATE TEMP TABLE src (series_id TEXT, candle_time INTEGER, open REAL, high REAL, low REAL, close REAL, volume REAL)');
    const per = 100;
    const insert = db.prepare(`INSERT INTO src VALUES ${Array(per).fill('(?,?,?,?,?,?,?)').join(',')}`);
    const values: (string | number)[] = [];
    db.exec('BEGIN');
    const n = candles.length / CANDLE_STRIDE;
    for (let i = 0; i + per <= n; i += per) {
      values.length = 0;
      for (let r = i; r < i + per; r++) values.push(SERIES, ...candles.subarray(r * CANDLE_STRIDE, (r + 1) * CANDLE_STRIDE));
      insert.run(values);
    }
    for (let r = n - (n % per); r < n; r++)
      db.run('INSERT INTO src VALUES (?,?,?,?,?,?,?)', [SERIES, ...candles.subarray(r * CANDLE_STRIDE, (r + 1) * CANDLE_STRIDE)]);
    db.exec('COMMIT');
    insert.finalize();
    const t0 = performance.now();
    db.exec(
      'INSERT INTO candles (series_id, candle_time, open, high, low, close, volume) SELECT series_id, candle_time, open, high, low, close, volume FROM src',
    );
    const ms = performance.now() - t0;
    const stored = (db.get('SELECT count(*) AS n FROM candles') as { n: number }).n;
    if (stored !== n) throw new Error(`ceiling stored ${stored} rows, expected ${n}`);
    return ms;
  } finally {
    db.close();
  }
}

/** PostgreSQL's two ceilings for the same rows (ms each), in a fresh database of the run. */
async function pgCeilingRun(url: string, candles: Float64Array): Promise<{ temp: number; indexed: number }> {
  const ceilings = await PgCeilings.open(url);
  try {
    const rows = [{ id: 1, data: candles }];
    return { temp: await ceilings.temp(rows), indexed: await ceilings.indexed(rows) };
  } finally {
    await ceilings.close();
  }
}

/** The product path, timed from "import this file" to "committed and seen by the main thread". */
async function importRun(settings: WriterSettings, path: string): Promise<{ ms: number; writerMs: number; drains: number }> {
  const ownership = await acquireStoreOwnership(settings);
  const store = new WorkerStore(settings);
  try {
    await store.whenReady();
    let writerMs = 0;
    let drains = 0;
    store.onCommitted((msg) => {
      writerMs += msg.drainMs;
      drains++;
    });
    const importer = new HistoryImporter(store, pool);
    const result = await importer.importFile({ seriesId: SERIES, path });
    if (result.reason || result.rowsWritten !== ROWS) throw new Error(`import failed: ${JSON.stringify(result)}`);
    const stored = await store.count(SERIES);
    if (stored !== ROWS) throw new Error(`import stored ${stored} rows, expected ${ROWS}`);
    return { ms: result.ms, writerMs, drains };
  } finally {
    await store.close();
    await ownership.release();
  }
}

const cluster: LocalCluster | null = STORE === 'postgres' ? await benchPostgres() : null;
const BASE_SETTINGS = { synchronous: 'FULL', rowsPerStatement: 100, maxPendingCandles: 2_000_000 } as const;

/** One run's ceilings (ms by name) and the settings of a fresh store for its import. */
async function prepareRun(dir: string, candles: Float64Array): Promise<{ ceilings: Record<string, number>; settings: WriterSettings }> {
  if (!cluster) return { ceilings: { sqlite: ceilingRun(dir, candles) }, settings: { ...BASE_SETTINGS, dbPath: join(dir, 'import.db') } };
  const ceilings = await pgCeilingRun(await cluster.createDatabase(), candles);
  const url = await cluster.createDatabase();
  return { ceilings, settings: { ...BASE_SETTINGS, dbPath: '', store: 'postgres', pg: { url, poolSize: 2, statementTimeoutMs: 0, connectWaitMs: 0 } } };
}

const CEILINGS: Record<string, string> = {
  sqlite: 'engine ceiling: INSERT … SELECT from temp table',
  temp: 'ceiling: COPY binary → unindexed TEMP table',
  indexed: 'ceiling: COPY binary → table like candles (PK)',
};

try {
  const [file] = await writeDatadir({
    out: join(root, 'data'),
    series: [SERIES],
    count: ROWS,
    startTime: 1_500_000_000,
    gaps: [{ every: 10_000, bars: 3 }],
    formats: ['feather'],
    seed: 7,
  });
  // Start the decode thread (a running gateway has it warm); the first run is then not a cold start.
  await pool.decode({ path: file!.path, tfSeconds: 60, tail: 1 });
  const decodeMs: number[] = [];
  const ceilings: Record<string, number[]> = {};
  const imports: Array<{ ms: number; writerMs: number; drains: number }> = [];
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(root, `run${run}-`));
    const d0 = performance.now();
    await pool.decode({ path: file!.path, tfSeconds: 60 });
    decodeMs.push(performance.now() - d0);
    const prepared = await prepareRun(dir, file!.candles);
    for (const [name, ms] of Object.entries(prepared.ceilings)) (ceilings[name] ??= []).push(ms);
    imports.push(await importRun(prepared.settings, file!.path));
    rmSync(dir, { recursive: true, force: true });
  }
  const best = (xs: number[]) => Math.min(...xs);
  const median = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const rate = (ms: number) => Math.round(ROWS / (ms / 1000));
  const line = (path: string, ms: number[], rates = true): Row => ({
    path,
    'best ms': best(ms),
    'median ms': median(ms),
    'rows/s (best)': rates ? rate(best(ms)) : '',
    'rows/s (median)': rates ? rate(median(ms)) : '',
  });
  const importMs = imports.map((i) => i.ms);
  const rows: Row[] = [
    ...Object.entries(ceilings).map(([name, ms]) => line(CEILINGS[name]!, ms)),
    line(`import: decode pool → writer bulk (committed, ${STORE})`, importMs),
    line(
      '  of which writer transactions (sum of drains)',
      imports.map((i) => i.writerMs),
      false,
    ),
    line('  decode alone (pool, whole file, no store)', decodeMs),
  ];
  const ratios = Object.entries(ceilings).map(([name, ms]) => {
    const ratioBest = best(ms) / best(importMs);
    const verdict = ratioBest >= TARGET_RATIO ? 'met' : 'MISSED';
    return `import / ${name === 'sqlite' ? 'ceiling' : `${name} ceiling`}: ${ratioBest.toFixed(2)}× (best), ${(median(ms) / median(importMs)).toFixed(2)}× (median); target ≥ ${TARGET_RATIO}× — ${verdict}`;
  });
  report(
    STORE === 'sqlite' ? 'import' : 'import-postgres',
    `Import of a ${ROWS.toLocaleString('en-US')}-row 1m feather file into ${STORE} vs the engine ceiling (${RUNS} runs, ${imports[0]!.drains} commits per import)`,
    rows,
    [
      ...ratios,
      'freqtrade reference: 2.7M rows from feather in 3.5 s = 0.77M rows/s, load only (no database)',
      ...(quick ? ['--quick is a smoke run (one 50k-row slice, cold writer JIT): judge the ratio on the full run'] : []),
    ],
  );
} finally {
  await pool.close();
  await cluster?.destroy();
  rmSync(root, { recursive: true, force: true });
}
