import { statSync } from 'node:fs';
import type { JournalMode } from './sqlite-options.js';

/** The part of a SQLite connection this module needs (the binding stays in sqlite-candle-store.ts). */
export interface SqlQueries {
  all(sql: string): unknown[];
}

/**
 * When the writer folds the write-ahead log into the database file (a checkpoint: the newest copy
 * of each page in the log written to the file, the file synced, the log truncated). Checked after
 * every drain against the busy bound, and once the writer has idled a moment (store-maintenance.ts)
 * against the idle bound. Steady live ingest (a drain every few ms, rewriting the same few leaf
 * pages) thus checkpoints every 128 MiB of log — every ~minute at 100 commits/s, a checkpoint of
 * a few hundred distinct pages — and a history import, whose slices come back to back, writes its
 * pages once to the log and has them folded in when it is done; the bound also caps the read a
 * recovery after a crash has to make.
 */
export const WAL_CHECKPOINT_BYTES = { idle: 16 * 1024 * 1024, busy: 128 * 1024 * 1024 } as const;

export interface CheckpointBounds {
  readonly idle: number;
  readonly busy: number;
}

/** Decides from the log's size on disk whether a checkpoint is due. */
export class WalCheckpointPolicy {
  private readonly walPath: string;

  constructor(
    dbPath: string,
    private readonly bounds: CheckpointBounds = WAL_CHECKPOINT_BYTES,
  ) {
    this.walPath = `${dbPath}-wal`;
  }

  /** The log's size when a checkpoint is due (the busy bound when more is `queued`), else null. */
  due(queued: boolean): number | null {
    const bytes = statSync(this.walPath, { throwIfNoEntry: false })?.size ?? 0;
    return bytes < (queued ? this.bounds.busy : this.bounds.idle) ? null : bytes;
  }
}

/** Folds the whole log into the database file and truncates the log to zero bytes. */
export function checkpointWal(db: SqlQueries): void {
  const row = firstRow<{ busy: number; log: number; checkpointed: number }>(db.all('PRAGMA wal_checkpoint(TRUNCATE)'))!;
  // One connection, none reading: a checkpoint can only be partial if SQLite itself refused it.
  if (row.busy !== 0) throw new Error(`checkpoint incomplete: ${row.checkpointed} of ${row.log} log frames copied`);
}

/**
 * SQLite answers a journal_mode it cannot honour with the mode it kept instead of an error; a
 * store that silently ran without its log would lose the durability the writer reports.
 */
export function assertJournalMode(db: SqlQueries, wanted: JournalMode): void {
  const row = firstRow<{ journal_mode: string }>(db.all('PRAGMA journal_mode'))!;
  if (row.journal_mode.toUpperCase() !== wanted) throw new Error(`journal_mode is ${row.journal_mode}, expected ${wanted.toLowerCase()}`);
}

/**
 * The one row of a single-row query, read with `all`: the binding's `get` steps once and leaves
 * the statement mid-query, holding a read transaction until its next use, and a WAL checkpoint
 * refuses to run while any statement of the connection is reading ("database table is locked").
 */
export function firstRow<T>(rows: unknown[]): T | undefined {
  return rows[0] as T | undefined;
}
