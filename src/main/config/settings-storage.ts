import { int, num, oneOf, str, url } from './setting-kinds.js';
import { setting } from './setting-spec.js';

/** Storage settings: which store, where, how durable. */
export const STORAGE_SETTINGS = {
  store: setting(
    'storage',
    'STORE',
    oneOf('sqlite', ['sqlite', 'postgres'] as const),
    'Where candles are stored: sqlite = the embedded file (DB_PATH), postgres = the database at PG_URL.',
  ),
  dbPath: setting('storage', 'DB_PATH', str('data/market.db', 'a file path'), 'SQLite database file (created with its directory if missing).'),
  pgUrl: setting(
    'storage',
    'PG_URL',
    url('', ['postgres', 'postgresql']),
    'PostgreSQL database (`postgres://user[:password]@host:port/db`), required with STORE=postgres; libpq `PG*` variables fill what it leaves out.',
  ),
  pgPoolSize: setting('storage', 'PG_POOL_SIZE', int(4, 1, 200), 'PostgreSQL connections for reads (the writer has one more of its own).'),
  pgStatementTimeoutMs: setting(
    'storage',
    'PG_STATEMENT_TIMEOUT_MS',
    int(30_000, 0, 3_600_000),
    'Longest a PostgreSQL statement may run (0 = no limit); a drain over it fails, is logged and retried.',
  ),
  pgConnectWaitS: setting(
    'storage',
    'PG_CONNECT_WAIT_S',
    num(0, 0, 86_400),
    'How long start-up waits for PostgreSQL to accept connections, retrying (0 = exit at once with the reason).',
  ),
  sqliteSynchronous: setting(
    'storage',
    'SQLITE_SYNCHRONOUS',
    oneOf('FULL', ['FULL', 'NORMAL', 'OFF'] as const),
    'SQLite `synchronous`: FULL survives power loss; OFF only process crashes.',
  ),
  writerMaxPendingCandles: setting(
    'storage',
    'WRITER_MAX_PENDING_CANDLES',
    int(2_000_000, 1000, 100_000_000),
    'Bound of the writer queue (candles from every producer, counted by the writer); HTTP ingest answers 503 `overloaded` beyond it, also while commits fail.',
  ),
  writerRowsPerStatement: setting(
    'storage',
    'WRITER_ROWS_PER_STATEMENT',
    int(100, 1, 4000),
    'Rows per multi-row upsert statement (100 measured fastest, docs/benchmarks.md).',
  ),
} as const;
