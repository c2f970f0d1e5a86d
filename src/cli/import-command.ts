import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../main/config/load-config.js';
import type { Config } from '../main/config/settings.js';
import { parseSeriesId } from '../domain/series-id.js';
import { describeError } from '../shared/errors.js';
import { setLogLevel, setLogSink } from '../shared/log.js';
import { acquireStoreOwnership, type StoreOwnership } from '../main/store/store-ownership.js';
import { WorkerStore } from '../main/store/worker-store.js';
import { writerSettings } from '../main/store/writer-settings.js';
import { listCandleFiles } from '../main/history/datadir-listing.js';
import { findCandleFile, resolveDatadir } from '../main/history/datadir.js';
import { createDecodePool } from '../main/history/decode-pool.js';
import type { ImportFileResult } from '../decode/contract.js';
import { HistoryImporter, type ImportSource } from '../main/history/importer.js';
import { createProgress } from './progress.js';
import { settingFlagOptions, settingOverrides, type SettingFlags } from './setting-flags.js';

export const IMPORT_USAGE = `kline-gateway import --datadir DIR [--series ID ...] [--db PATH | --store postgres --pg-url URL]

Imports freqtrade candle files (feather, parquet, json.gz, json) into the store: every spot and
USD-M futures file of the datadir, or only the named series. Safe to repeat (rows are upserted).
A SQLite file must not be in use by a running gateway; a PostgreSQL database may be.

  --datadir DIR   freqtrade datadir (default: TRADE_CANVAS_FREQTRADE_DATADIR / _CONFIG / _USERDIR)
  --series ID     e.g. binance:futures:BTC/USDT:1m; repeatable
  --db PATH       SQLite database file (default: TRADE_CANVAS_DB_PATH)
  --store KIND    sqlite or postgres (default: TRADE_CANVAS_STORE, sqlite)
  --pg-url URL    PostgreSQL database, postgres://user@host:port/db (default: TRADE_CANVAS_PG_URL)`;

export interface CommandIo {
  /** Summary lines. */
  readonly out: { write(text: string): unknown };
  /** Progress, problems and log lines. */
  readonly err: { write(text: string): unknown; isTTY?: boolean };
  readonly env: Record<string, string | undefined>;
  /** Called once the database is open; returns a function that removes the interrupt handler. */
  readonly onInterrupt?: (stop: () => void) => () => void;
}

/** import's flags that set a setting (the rest: --series, --help). */
const IMPORT_SETTING_FLAGS: SettingFlags = { datadir: 'freqtradeDatadir', db: 'dbPath', store: 'store', 'pg-url': 'pgUrl' };

/** Exit codes: 0 all files imported, 1 a file failed (or the database is in use), 2 bad arguments, 130 interrupted. */
export async function importCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let options: { series?: string[]; help?: boolean; [flag: string]: unknown };
  let overrides: Partial<Config>;
  try {
    options = parseArgs({
      args: [...args],
      options: { ...settingFlagOptions(IMPORT_SETTING_FLAGS), series: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
    }).values;
    overrides = settingOverrides(IMPORT_SETTING_FLAGS, options);
  } catch (err) {
    io.err.write(`kline-gateway import: ${describeError(err)}\n\n${IMPORT_USAGE}\n`);
    return 2;
  }
  if (options.help) {
    io.out.write(`${IMPORT_USAGE}\n`);
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(io.env, overrides).config;
  } catch (err) {
    io.err.write(`kline-gateway import: ${describeError(err)}\n`);
    return 2;
  }
  // stdout is for the summary; log lines (warnings by default) go to stderr.
  setLogSink((line) => io.err.write(`${line}\n`));
  setLogLevel(io.env.TRADE_CANVAS_LOG_LEVEL ? config.logLevel : 'warn');

  const plan = await planImport(config, options.series ?? []);
  if ('problem' in plan) {
    io.err.write(`kline-gateway import: ${plan.problem}\n`);
    return 2;
  }
  for (const s of plan.skipped) io.out.write(`skip  ${s.path}: ${s.reason}\n`);
  if (plan.files.length === 0 && plan.missing.length === 0) {
    // Almost always the wrong folder (e.g. user_data/ instead of user_data/data/binance).
    io.err.write(`kline-gateway import: no spot or futures candle files in ${plan.searched.join(' or ')}\n`);
    return 1;
  }

  const settings = writerSettings(config);
  let ownership: StoreOwnership;
  try {
    ownership = await acquireStoreOwnership(settings);
  } catch (err) {
    io.err.write(`kline-gateway import: ${describeError(err)}\n`);
    return 1;
  }
  const store = new WorkerStore(settings);
  // Threads start while the writer opens the database, not on the first file.
  const pool = createDecodePool({ startNow: true });
  let interrupted = false;
  const removeInterrupt = io.onInterrupt?.(() => {
    interrupted = true;
    io.err.write('\ninterrupted: stopping the current file (what it sent is committed); run again to finish\n');
    void pool.close();
  });
  try {
    await store.whenReady();
    return await runImports(plan.files, plan.missing, new HistoryImporter(store, pool), io, () => interrupted);
  } catch (err) {
    io.err.write(`kline-gateway import: ${describeError(err)}\n`);
    return 1;
  } finally {
    removeInterrupt?.();
    await pool.close();
    await store.close().catch((err) => io.err.write(`kline-gateway import: closing the database failed: ${describeError(err)}\n`));
    await ownership.release();
  }
}

interface ImportPlan {
  readonly files: readonly ImportSource[];
  /** Named series without a file: reported as failures. */
  readonly missing: readonly string[];
  readonly skipped: ReadonlyArray<{ path: string; reason: string }>;
  readonly searched: readonly string[];
}

async function planImport(config: Config, series: readonly string[]): Promise<ImportPlan | { problem: string }> {
  const { searchDirs } = resolveDatadir(config, 'binance');
  if (searchDirs.length === 0) return { problem: 'no datadir: pass --datadir DIR (or set TRADE_CANVAS_FREQTRADE_DATADIR)' };
  if (config.freqtradeDatadir !== '' && !isDirectory(searchDirs[0]!)) return { problem: `datadir ${searchDirs[0]} is not a directory` };
  if (series.length === 0) {
    const listing = await listCandleFiles(searchDirs, 'binance');
    return { files: listing.files, missing: [], skipped: listing.skipped, searched: searchDirs };
  }
  const files: ImportSource[] = [];
  const missing: string[] = [];
  for (const raw of series) {
    let id;
    try {
      id = parseSeriesId(raw);
    } catch {
      return { problem: `invalid series id '${raw}' (expected exchange:market:symbol:timeframe)` };
    }
    const found = await findCandleFile(resolveDatadir(config, id.exchange).searchDirs, id);
    if (found) files.push({ seriesId: id.raw, path: found.path, format: found.format });
    else missing.push(id.raw);
  }
  return { files, missing, skipped: [], searched: searchDirs };
}

async function runImports(
  files: readonly ImportSource[],
  missing: readonly string[],
  importer: HistoryImporter,
  io: CommandIo,
  interrupted: () => boolean,
): Promise<number> {
  const progress = createProgress(io.err, io.err.isTTY === true);
  let failed = 0;
  let written = 0;
  const started = performance.now();
  for (const seriesId of missing) {
    failed++;
    io.out.write(`FAIL  ${seriesId}  no candle file in the datadir\n`);
  }
  for (const file of files) {
    if (interrupted()) break;
    progress.start(`${file.seriesId} (${basename(file.path)})`);
    const result = await importer.importFile(file, { onProgress: (p) => progress.update(p) });
    progress.stop();
    written += result.rowsWritten;
    if (result.reason) failed++;
    io.out.write(`${summaryLine(result)}\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  const total = files.length + missing.length;
  io.out.write(
    `${interrupted() ? 'interrupted' : 'done'}: ${total - failed} of ${total} files imported, ${written.toLocaleString('en-US')} rows written in ${seconds.toFixed(1)} s` +
      `${failed > 0 ? `; ${failed} failed` : ''}\n`,
  );
  return interrupted() ? 130 : failed > 0 ? 1 : 0;
}

/** `ok    <series>  read N  written N  gaps N  N rows/s  N.NN s  <path>`, or `FAIL  <series>  … <code>: <reason>`. */
export function summaryLine(r: ImportFileResult): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const rate = r.ms > 0 ? Math.round(r.rowsWritten / (r.ms / 1000)) : 0;
  const figures = `read ${n(r.rowsRead)}  written ${n(r.rowsWritten)}  gaps ${n(r.gaps)}  ${n(rate)} rows/s  ${(r.ms / 1000).toFixed(2)} s`;
  return r.reason ? `FAIL  ${r.seriesId}  ${figures}  ${r.reason.code}: ${r.reason.message}` : `ok    ${r.seriesId}  ${figures}  ${r.path}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
