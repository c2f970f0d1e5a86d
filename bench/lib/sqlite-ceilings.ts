import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { migrate } from '../../src/writer/schema.js';
import { WAL_CHECKPOINT_BYTES } from '../../src/writer/sqlite-wal.js';
import { connectionPragmas, openRawSqlite, type RawSqliteDatabase } from '../../src/writer/sqlite-candle-store.js';
import type { SeriesWrite } from '../../src/writer/drain-plan.js';

// The ceiling needs its own connection of the store's kind: bench code may use the binding.

const ROWS_PER_INSERT = 100;

/**
 * SQLite's ceilings for a set of rows, through the same binding, pragmas and schema as the store:
 * the rows are first put in a TEMP source table (untimed); then one `INSERT … SELECT` copies them
 *   - `temp`: into an unindexed TEMP table;
 *   - `indexed`: into a `candles` table like the store's (WITHOUT ROWID, primary key).
 */
export class SqliteCeilings {
  private readonly db: RawSqliteDatabase;
  /**
   * CPU ms (this process, user + system) of the last `temp`/`indexed` call's timed part: the
   * insert runs synchronously on this thread, so it is SQLite's own cost with no fsync wait in it.
   */
  lastCpuMs = 0;

  constructor(path: string) {
    this.db = openRawSqlite(path);
    this.db.exec(connectionPragmas());
    // The store checkpoints its log at 128 MiB (WAL_CHECKPOINT_BYTES.busy) when busy; the engine's
    // own automatic checkpoint at the same size keeps the ceiling paying what the store pays.
    this.db.exec(`PRAGMA wal_autocheckpoint=${WAL_CHECKPOINT_BYTES.busy / 4096}`);
    migrate(this.db);
    this.db.exec('CREATE TEMP TABLE src (series_id TEXT, candle_time INTEGER, open REAL, high REAL, low REAL, close REAL, volume REAL)');
    this.db.exec('CREATE TEMP TABLE ceiling_temp (series_id TEXT, candle_time INTEGER, open REAL, high REAL, low REAL, close REAL, volume REAL)');
  }

  temp(writes: readonly SeriesWrite[]): number {
    const ms = this.copy('ceiling_temp', writes);
    this.db.exec('DELETE FROM ceiling_temp');
    return ms;
  }

  indexed(writes: readonly SeriesWrite[]): number {
    return this.copy('candles', writes);
  }

  close(): void {
    this.db.close();
  }

  private copy(table: string, writes: readonly SeriesWrite[]): number {
    this.fillSource(writes);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    this.db.exec('BEGIN');
    this.db.exec(`INSERT INTO ${table} (series_id, candle_time, open, high, low, close, volume) SELECT * FROM src`);
    this.db.exec('COMMIT');
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    this.lastCpuMs = (cpu.user + cpu.system) / 1000;
    return ms;
  }

  private fillSource(writes: readonly SeriesWrite[]): void {
    this.db.exec('BEGIN; DELETE FROM src');
    const values: Array<string | number> = [];
    const flush = () => {
      if (values.length === 0) return;
      this.db.run(
        `INSERT INTO src VALUES ${Array(values.length / 7)
          .fill('(?,?,?,?,?,?,?)')
          .join(',')}`,
        values,
      );
      values.length = 0;
    };
    for (const w of writes) {
      for (let b = 0; b < w.all.length; b += CANDLE_STRIDE) {
        values.push(w.seriesId, ...w.all.subarray(b, b + CANDLE_STRIDE));
        if (values.length === ROWS_PER_INSERT * 7) flush();
      }
    }
    flush();
    this.db.exec('COMMIT');
  }
}
