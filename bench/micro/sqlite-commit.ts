/**
 * What one durable commit of a low-load drain costs (issue 16 item 5): a one-row transaction into
 * the candles layout, with the store's pragmas (`journal_mode=WAL`, `synchronous=FULL`), and the
 * same with the rollback journal the store used before (`journal_mode=PERSIST`). WAL needs no
 * shared memory in `locking_mode=EXCLUSIVE`, which this binding lacks. Counts the fsyncs of each commit
 * (the binding's VFS calls `fs.fsyncSync`; the count is taken by wrapping it in this process
 * only) and the commit's wall time; the two modes alternate, commit by commit.
 *
 *   npm run bench:micro:commit [-- --quick] [--commits=2000]
 */
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs, numberOption } from '../lib/bench-args.js';
import { percentile, report, type Row } from '../lib/report.js';

const { quick, args } = benchArgs();
const COMMITS = numberOption(args, 'commits', quick ? 200 : 2000);
/** A low-load writer commits every few ms, not back to back. */
const PAUSE_MS = 2;

let fsyncs = 0;
const fsyncSync = fs.fsyncSync;
fs.fsyncSync = (fd: number) => {
  fsyncs++;
  fsyncSync(fd);
};
// Imported after the wrap: the binding's VFS then calls the counting fsyncSync.
const { openRawSqlite, connectionPragmas } = await import('../../src/writer/sqlite-candle-store.js');

const dir = mkdtempSync(join(tmpdir(), 'kline-bench-commit-'));
try {
  const modes = ['PERSIST', 'WAL'] as const;
  const dbs = modes.map((mode) => {
    const db = openRawSqlite(join(dir, `${mode}.db`));
    db.exec(connectionPragmas({ journalMode: mode }));
    db.exec('CREATE TABLE candles (series_id TEXT, candle_time INTEGER, close REAL, PRIMARY KEY (series_id, candle_time)) WITHOUT ROWID');
    return db;
  });
  const ms = modes.map(() => [] as number[]);
  const syncs = modes.map(() => 0);
  for (let i = 0; i < COMMITS; i++) {
    dbs.forEach((db, m) => {
      const before = fsyncs;
      const t0 = performance.now();
      db.exec(`BEGIN; INSERT INTO candles VALUES ('binance:futures:S${i % 100}/USDT:1m', ${i * 60}, 1.5); COMMIT;`);
      ms[m]!.push(performance.now() - t0);
      syncs[m]! += fsyncs - before;
    });
    await new Promise((r) => setTimeout(r, PAUSE_MS));
  }
  dbs.forEach((db) => db.close());
  const rows: Row[] = modes.map((mode, m) => {
    const sorted = ms[m]!.sort((a, b) => a - b);
    return {
      journal_mode: mode,
      'fsyncs per commit': syncs[m]! / COMMITS,
      'commit p50 ms': percentile(sorted, 50),
      'commit p99 ms': percentile(sorted, 99),
      'commit max ms': sorted[sorted.length - 1]!,
    };
  });
  report('micro-sqlite-commit', `One-row durable commits (synchronous=FULL, locking_mode=EXCLUSIVE), ${COMMITS} each, alternating`, rows, [
    'PERSIST: the journal is synced twice (FULL), then the database, then the zeroed journal header (the commit point)',
    "WAL (the store's mode): the log is synced once per commit; checkpoints run between drains in the store, not here",
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
