import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';

/**
 * Opens a copy of a database file to look at what is durably in it, while the gateway that owns
 * the original keeps running (its exclusive lock forbids a second connection to the file itself).
 * Call it when no commit is in flight (after an answered write). What is durable is the file plus
 * its write-ahead log (commits not yet checkpointed live only there): both are copied, and the
 * copy's first open recovers the log, as a restart after a crash would.
 */
export function withDbCopy<T>(dbPath: string, read: (store: SqliteCandleStore) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'kline-gw-dbcopy-'));
  try {
    const copy = join(dir, 'copy.db');
    copyFileSync(dbPath, copy);
    if (existsSync(`${dbPath}-wal`)) copyFileSync(`${dbPath}-wal`, `${copy}-wal`);
    const store = new SqliteCandleStore(copy);
    try {
      return read(store);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
