import { createRequire } from 'node:module';
import type { Database as DatabaseT, Statement as StatementT } from 'node-sqlite3-wasm';
import { CANDLE_STRIDE, candleCount } from '../domain/candle.js';
import { reversePacked } from '../domain/candle-batch.js';
import type { CandleStore, DrainOptions } from './candle-store.js';
import { GatewayError } from '../shared/errors.js';
import type { SeriesSummary, SynchronousMode } from './contract.js';
import type { SeriesWrite } from './drain-plan.js';
import { fastRowBinder, type RowBinder } from './row-binder.js';
import { migrate } from './schema.js';
import { connectionPragmas, type JournalMode, type StoreOptions } from './sqlite-options.js';
import { seriesSummary } from './sqlite-summary.js';
import { assertJournalMode, checkpointWal, firstRow, WalCheckpointPolicy } from './sqlite-wal.js';
import { createdFiles, explainStorageError, quietly } from './storage-diagnosis.js';
import { compileWasmOptimized } from './wasm-tiering.js';

// The only import of the SQLite binding in the code base (architecture.md). It is CommonJS, and
// compiles its WebAssembly when loaded: optimized at once (wasm-tiering.ts).
compileWasmOptimized();
const binding = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm');
const { Database } = binding;

export { connectionPragmas, type JournalMode, type StoreOptions } from './sqlite-options.js';

/** A raw connection to a SQLite file, the store's schema and pragmas untouched. */
export type RawSqliteDatabase = DatabaseT;

/**
 * Opens a raw connection for code that works on a file outside the store: tests that fabricate a
 * foreign database (trade_canvas's own table) and benchmarks that measure the engine's ceilings.
 * It lives here so this stays the one module that loads the binding. Close it by hand.
 */
export function openRawSqlite(path: string): RawSqliteDatabase {
  return new Database(path);
}

const COLUMNS = 'candle_time, open, high, low, close, volume';
const UPSERT_TAIL =
  ' ON CONFLICT(series_id, candle_time) DO UPDATE SET open=excluded.open, high=excluded.high, low=excluded.low, close=excluded.close, volume=excluded.volume';

/**
 * The candle table over node-sqlite3-wasm. Synchronous by design: it runs inside the writer worker
 * (or in-thread in tests), which is the single owner of the connection.
 *
 * Pragmas: `locking_mode=EXCLUSIVE` holds the binding's lock directory for the connection's life
 * (no mkdir/rmdir per transaction, and no other connection can interleave: there must be none);
 * `journal_mode=PERSIST` measured the lowest commit tail latency here (p99 1.5 ms vs 2.9 ms for
 * DELETE, docs/benchmarks.md). Prepared statements are finalized by hand: the binding leaks them
 * otherwise.
 */
export class SqliteCandleStore implements CandleStore {
  readonly kind = 'sqlite';
  private readonly db: DatabaseT;
  private readonly rowsPerStatement: number;
  private readonly allowFastBinding: boolean;
  private readonly upserts = new Map<number, UpsertStatement>();
  private readonly reads: Record<'tail' | 'after' | 'before' | 'between' | 'head' | 'count' | 'countUpTo' | 'countAll', StatementT>;
  private closed = false;
  readonly journalMode: JournalMode;
  /** Null in the rollback-journal mode: no log, nothing to checkpoint. */
  private readonly wal: WalCheckpointPolicy | null;
  /** The configured sync mode, and whether a relaxed drain (DrainOptions) lowers it to NORMAL. */
  private readonly synchronous: SynchronousMode;
  private readonly canRelax: boolean;

  constructor(
    readonly path: string,
    options: StoreOptions = {},
  ) {
    this.rowsPerStatement = options.rowsPerStatement ?? 100;
    this.allowFastBinding = options.fastBinding ?? true;
    const created = createdFiles(path);
    try {
      this.db = new Database(path);
    } catch (err) {
      created.removeNew();
      throw new GatewayError('store_failed', `cannot open database ${path}: ${explainStorageError(path, err)}`, { cause: err });
    }
    try {
      this.db.exec(connectionPragmas(options));
      this.journalMode = options.journalMode ?? 'WAL';
      this.synchronous = options.synchronous ?? 'FULL';
      this.canRelax = this.synchronous === 'FULL';
      this.wal = this.journalMode === 'WAL' ? new WalCheckpointPolicy(path, options.walCheckpointBytes) : null;
      assertJournalMode(this.db, this.journalMode);
      migrate(this.db);
      this.reads = {
        tail: this.db.prepare(`SELECT ${COLUMNS} FROM candles WHERE series_id = ? ORDER BY candle_time DESC LIMIT ?`),
        after: this.db.prepare(`SELECT ${COLUMNS} FROM candles WHERE series_id = ? AND candle_time > ? ORDER BY candle_time ASC LIMIT ?`),
        before: this.db.prepare(`SELECT ${COLUMNS} FROM candles WHERE series_id = ? AND candle_time < ? ORDER BY candle_time DESC LIMIT ?`),
        between: this.db.prepare(
          `SELECT ${COLUMNS} FROM candles WHERE series_id = ? AND candle_time >= ? AND candle_time <= ? ORDER BY candle_time ASC LIMIT ?`,
        ),
        head: this.db.prepare('SELECT max(candle_time) AS t FROM candles WHERE series_id = ?'),
        count: this.db.prepare('SELECT count(*) AS n FROM candles WHERE series_id = ?'),
        countUpTo: this.db.prepare('SELECT count(*) AS n FROM (SELECT 1 FROM candles WHERE series_id = ? LIMIT ?)'),
        countAll: this.db.prepare('SELECT count(*) AS n FROM candles'),
      };
    } catch (err) {
      quietly(() => this.db.close());
      created.removeNew();
      throw new GatewayError('store_failed', `cannot use database ${path}: ${explainStorageError(path, err)}`, { cause: err });
    }
  }

  begin(): void {
    this.db.exec('BEGIN');
  }

  commit(): void {
    this.db.exec('COMMIT');
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }

  /**
   * One drain in one transaction (the writer core's call); rolled back when any statement fails.
   * A relaxed drain (`durable: false`, copies of the exchange's history) commits under
   * synchronous=NORMAL — the pragma applies per transaction on this one connection — and the
   * configured mode is back before anything else is written.
   */
  writeDrain(writes: readonly SeriesWrite[], options?: DrainOptions): void {
    const relax = options?.durable === false && this.canRelax;
    if (relax) this.db.exec('PRAGMA synchronous=NORMAL');
    try {
      this.begin();
      for (const w of writes) this.upsert(w.seriesId, w.all);
      this.commit();
    } catch (err) {
      this.rollback();
      throw err;
    } finally {
      if (relax) this.db.exec(`PRAGMA synchronous=${this.synchronous}`);
    }
  }

  /**
   * Between drains (writer-core.ts): checkpoints the write-ahead log once it has grown past its
   * bound — the idle one when nothing is queued, the busy one otherwise. Returns the log's size in
   * bytes before a checkpoint that ran, or null when none was due. A failed checkpoint throws;
   * nothing committed is at risk (the log still holds it) and the next call tries again.
   */
  maintain(queued: boolean): number | null {
    if (!this.wal || this.closed) return null;
    const bytes = this.wal.due(queued);
    if (bytes !== null) checkpointWal(this.db);
    return bytes;
  }

  /** Folds the whole log into the database file now (benchmarks measuring the file's size). */
  checkpoint(): void {
    if (this.wal) checkpointWal(this.db);
  }

  /** Names the cause of a failure (e.g. ENOSPC) where SQLite only says "disk I/O error". */
  explain(err: unknown): string {
    return explainStorageError(this.path, err);
  }

  /**
   * Upserts packed candles `[from, to)` of one series (call inside a transaction). Rows go in
   * statements of `rowsPerStatement` rows with the series id bound once per statement (`?1`),
   * which keeps binding cost per row to six numbers.
   */
  upsert(seriesId: string, packed: Float64Array, from = 0, to = candleCount(packed)): void {
    let i = from;
    while (i < to) {
      const rows = Math.min(this.rowsPerStatement, to - i);
      const { stmt, values, bind } = this.upsertStatement(rows);
      if (bind) {
        bind(seriesId, packed, i, rows);
      } else {
        values[0] = seriesId;
        let v = 1;
        for (let r = 0; r < rows; r++) {
          const b = (i + r) * CANDLE_STRIDE;
          values[v++] = packed[b]!;
          values[v++] = packed[b + 1]!;
          values[v++] = packed[b + 2]!;
          values[v++] = packed[b + 3]!;
          values[v++] = packed[b + 4]!;
          values[v++] = packed[b + 5]!;
        }
        stmt.run(values);
      }
      i += rows;
    }
  }

  /** Whether upserts bind through the binding's raw exports (row-binder.ts) rather than `run`. */
  get fastBinding(): boolean {
    return this.upsertStatement(1).bind !== null;
  }

  /** Latest `limit` candles, ascending. */
  tail(seriesId: string, limit: number): Float64Array {
    const packed = this.collect(this.reads.tail, [seriesId, limit]);
    return reversePacked(packed);
  }

  /** Candles with time > since, ascending, at most `limit`. */
  after(seriesId: string, since: number, limit: number): Float64Array {
    return this.collect(this.reads.after, [seriesId, since, limit]);
  }

  /** The latest `limit` candles with time < before, ascending (scroll-back). */
  before(seriesId: string, before: number, limit: number): Float64Array {
    return reversePacked(this.collect(this.reads.before, [seriesId, before, limit]));
  }

  /** Candles with from <= time <= to, ascending, at most `limit`. */
  between(seriesId: string, from: number, to: number, limit: number): Float64Array {
    return this.collect(this.reads.between, [seriesId, from, to, limit]);
  }

  head(seriesId: string): number | null {
    const row = firstRow<{ t: number | null }>(this.reads.head.all([seriesId]));
    return row?.t ?? null;
  }

  heads(seriesIds: readonly string[]): Map<string, number | null> {
    return new Map(seriesIds.map((s) => [s, this.head(s)]));
  }

  /** Candles of a series (or all); with `atMost`, stops counting there (a bounded index walk). */
  count(seriesId?: string, atMost?: number): number {
    const stmt = seriesId === undefined ? this.reads.countAll : atMost === undefined ? this.reads.count : this.reads.countUpTo;
    const row = firstRow<{ n: number }>(seriesId === undefined ? stmt.all() : stmt.all(atMost === undefined ? [seriesId] : [seriesId, atMost]));
    return row!.n;
  }

  /**
   * Extent, size and holes of a series. Unprepared statements (a rare debug read, not worth a
   * cached statement); the window function walks the series' index once per query.
   */
  summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): SeriesSummary {
    return seriesSummary(this.db, seriesId, tfSeconds, maxRecentGaps);
  }

  /** SQLite's own consistency check: 'ok' or the problems it found. */
  integrityCheck(): string {
    const rows = this.db.all('PRAGMA integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('\n');
  }

  /**
   * Closes the connection. Never fails on a statement's past: `finalize()` rethrows the last error
   * its statement ever hit (a commit that failed on a full disk hours ago), which made a graceful
   * stop after any transient failure exit 1 with the database left open (issue 15, defect 6).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    quietly(() => this.rollback());
    for (const { stmt } of this.upserts.values()) quietly(() => stmt.finalize());
    for (const stmt of Object.values(this.reads)) quietly(() => stmt.finalize());
    this.db.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private upsertStatement(rows: number): UpsertStatement {
    let entry = this.upserts.get(rows);
    if (!entry) {
      const tuple = '(?1,?,?,?,?,?,?)';
      const sql = `INSERT INTO candles (series_id, ${COLUMNS}) VALUES ${Array(rows).fill(tuple).join(',')}${UPSERT_TAIL}`;
      const stmt = this.db.prepare(sql);
      entry = { stmt, values: new Array<number | string>(1 + rows * CANDLE_STRIDE), bind: this.allowFastBinding ? fastRowBinder(binding, stmt) : null };
      this.upserts.set(rows, entry);
    }
    return entry;
  }

  private collect(stmt: StatementT, params: (string | number)[]): Float64Array {
    const rows = stmt.all(params) as Array<Record<string, number>>;
    const packed = new Float64Array(rows.length * CANDLE_STRIDE);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const b = i * CANDLE_STRIDE;
      packed[b] = row.candle_time!;
      packed[b + 1] = row.open!;
      packed[b + 2] = row.high!;
      packed[b + 3] = row.low!;
      packed[b + 4] = row.close!;
      packed[b + 5] = row.volume!;
    }
    return packed;
  }
}

interface UpsertStatement {
  readonly stmt: StatementT;
  /** Reused argument array for `stmt.run` when there is no fast binder. */
  readonly values: (number | string)[];
  readonly bind: RowBinder | null;
}
