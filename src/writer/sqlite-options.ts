import type { SynchronousMode } from './contract.js';

/**
 * How commits reach the disk. WAL (the default): a commit appends its pages to `<db>-wal` and syncs
 * that file once; the writer folds the log into the database file between drains (checkpoint).
 * PERSIST: the rollback journal the store used before; a commit then syncs four times (the journal
 * twice under synchronous=FULL, the database, the journal's zeroed header). Kept for tests and
 * benchmarks that compare the two and for the recovery of files written by older versions.
 */
export type JournalMode = 'WAL' | 'PERSIST';

/** How the SQLite store opens its connection (sqlite-candle-store.ts). */
export interface StoreOptions {
  readonly synchronous?: SynchronousMode;
  readonly journalMode?: JournalMode;
  /** Rows per multi-row upsert statement: 100 measured fastest through this WASM binding. */
  readonly rowsPerStatement?: number;
  /** Page cache size; small values make SQLite spill pages mid-transaction (crash tests). */
  readonly cacheKiB?: number;
  /** WAL size that triggers a checkpoint between drains: with nothing queued / with more queued. */
  readonly walCheckpointBytes?: { readonly idle: number; readonly busy: number };
  /** Bind through the binding's raw exports (row-binder.ts); default true. Tests compare both paths. */
  readonly fastBinding?: boolean;
}

/**
 * The pragmas every store connection runs with (exported so benchmarks measure the same setup).
 *
 * `locking_mode=EXCLUSIVE` must come first: this binding's VFS has no shared-memory methods, and
 * SQLite allows WAL without them only when the connection holds the file exclusively (the
 * wal-index then lives in the connection's heap). `wal_autocheckpoint=0`: SQLite's automatic
 * checkpoint runs inside the commit that crosses ~4 MiB, i.e. on a candle's way to its client;
 * the writer checkpoints between drains instead (`SqliteCandleStore.maintain`).
 */
export function connectionPragmas(options: StoreOptions = {}): string {
  const journal = options.journalMode ?? 'WAL';
  // Page size stays SQLite's 4 KiB default: 8 KiB made the bare engine ~15% faster on bulk but
  // not our import, and was mixed on many-series live drains (docs/benchmarks.md).
  return (
    `PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=${journal};` +
    (journal === 'WAL' ? ' PRAGMA wal_autocheckpoint=0;' : '') +
    ` PRAGMA synchronous=${options.synchronous ?? 'FULL'};` +
    ` PRAGMA cache_size=-${options.cacheKiB ?? 65536}; PRAGMA temp_store=MEMORY;`
  );
}
