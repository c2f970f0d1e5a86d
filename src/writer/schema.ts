import { GatewayError } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';

/**
 * Versioned schema (contract §4). `WITHOUT ROWID` keeps each candle in the primary-key B-tree
 * itself: one tree to update per upsert instead of table + autoindex, and range reads walk the key
 * order directly (measured in bench/store-layout.ts, docs/benchmarks.md).
 */
const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `CREATE TABLE IF NOT EXISTS candles (
      series_id TEXT NOT NULL,
      candle_time INTEGER NOT NULL,
      open REAL NOT NULL,
      high REAL NOT NULL,
      low REAL NOT NULL,
      close REAL NOT NULL,
      volume REAL NOT NULL,
      PRIMARY KEY (series_id, candle_time)
    ) WITHOUT ROWID`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The slice of a connection migrations need (keeps the binding import in one module). */
export interface SqlConnection {
  exec(sql: string): void;
  run(sql: string, values?: Array<string | number>): unknown;
  get(sql: string, values?: Array<string | number>): unknown;
  all(sql: string, values?: Array<string | number>): unknown[];
}

const REQUIRED_COLUMNS = ['series_id', 'candle_time', 'open', 'high', 'low', 'close', 'volume'];
const log = createLogger('store.schema');

/** Brings the database to SCHEMA_VERSION; adopts a trade_canvas `candles` table as version 1. */
export function migrate(db: SqlConnection): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.get('SELECT max(version) AS v FROM schema_version') as { v: number | null };
  let current = row.v ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new GatewayError('store_failed', `database schema version ${current} is newer than this gateway supports (${SCHEMA_VERSION})`);
  }
  if (current === 0 && tableExists(db, 'candles')) {
    const columns = (db.all("SELECT name FROM pragma_table_info('candles')") as Array<{ name: string }>).map((c) => c.name);
    const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
    if (missing.length > 0) {
      throw new GatewayError('store_failed', `existing candles table lacks columns: ${missing.join(', ')}`);
    }
    log.info('adopting an existing candles table (trade_canvas database) as schema version 1');
    db.run('INSERT INTO schema_version (version) VALUES (1)');
    current = 1;
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.exec('BEGIN');
    try {
      db.exec(migration.sql);
      db.run('INSERT INTO schema_version (version) VALUES (?)', [migration.version]);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}

function tableExists(db: SqlConnection, name: string): boolean {
  return db.get("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", [name]) !== null;
}
