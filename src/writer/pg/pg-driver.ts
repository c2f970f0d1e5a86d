import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createLogger } from '../../shared/log.js';

// The only import of the PostgreSQL driver (`pg`) and of `pg-copy-streams` (COPY FROM STDIN, which
// pg has no API for) in the code base: the store sees this small typed interface, so a driver
// swap touches one file (architecture.md "Layout and boundaries").

const log = createLogger('store.pg');

/** Longest wait for a TCP connection and the start-up handshake. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Idle time before the first TCP keep-alive probe: a dead peer is found without traffic. */
const KEEPALIVE_DELAY_MS = 10_000;
/**
 * Client-side limit on top of the server's statement_timeout: a server that vanished without
 * closing the socket (network partition) never answers, and only this notices. The session is
 * then dropped.
 */
const CLIENT_TIMEOUT_MARGIN_MS = 5_000;
/** Read-pool connections idle this long are closed (a new one costs one handshake). */
const POOL_IDLE_MS = 30_000;
const OID_INT8 = 20;

// candle_time, count(*) and max(candle_time) are int8: pg returns them as strings by default (they
// may exceed 2^53). Ours are Unix seconds and row counts, far below it: parse them as numbers.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === OID_INT8 ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PgConnectOptions {
  readonly url: string;
  /** Server-side limit per statement, ms; 0 = none. */
  readonly statementTimeoutMs: number;
  /** Shown in pg_stat_activity: which gateway connection this is. */
  readonly applicationName: string;
}

/** One connection (the writer's): queries, COPY, and word when it dies. */
export interface PgSession {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** Rows as arrays, as a named prepared statement when `name` is given. */
  queryArrays(text: string, values: readonly unknown[], name?: string): Promise<unknown[][]>;
  /** `COPY … FROM STDIN` with `payload` as the whole input; resolves with the rows copied. */
  copyFrom(sql: string, payload: Buffer): Promise<number>;
  /** Called once when the connection is lost (server stopped, backend terminated, timeout). */
  onLost(listener: (err: Error) => void): void;
  readonly isLost: boolean;
  close(): Promise<void>;
}

/** The read pool. */
export interface PgPool {
  queryArrays(text: string, values: readonly unknown[], name?: string): Promise<unknown[][]>;
  close(): Promise<void>;
}

function clientConfig(opts: PgConnectOptions): pg.ClientConfig {
  const statementTimeout = opts.statementTimeoutMs > 0 ? opts.statementTimeoutMs : undefined;
  return {
    connectionString: opts.url,
    application_name: opts.applicationName,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    statement_timeout: statementTimeout,
    query_timeout: statementTimeout === undefined ? undefined : statementTimeout + CLIENT_TIMEOUT_MARGIN_MS,
    types,
  };
}

export async function connectPg(opts: PgConnectOptions): Promise<PgSession> {
  const client = new pg.Client(clientConfig(opts));
  const lostListeners: Array<(err: Error) => void> = [];
  let lost = false;
  let closing = false;
  const markLost = (err: Error) => {
    if (lost) return;
    lost = true;
    if (!closing) for (const listener of lostListeners) listener(err);
  };
  // Without an 'error' listener a dropped idle connection would throw in this thread.
  client.on('error', markLost);
  client.on('end', () => markLost(new Error('the connection to PostgreSQL ended')));
  try {
    await client.connect();
  } catch (err) {
    closing = true;
    await client.end().catch(() => undefined);
    throw err;
  }
  const dropOnClientTimeout = (err: unknown) => {
    // pg's query_timeout rejects without closing: nothing more will come on this socket.
    if (err instanceof Error && /Query read timeout/.test(err.message)) {
      markLost(err);
      void client.end().catch(() => undefined);
    }
    throw err;
  };
  return {
    get isLost() {
      return lost;
    },
    query: async <R>(text: string, values?: readonly unknown[]) => (await client.query(text, values as unknown[]).catch(dropOnClientTimeout)).rows as R[],
    queryArrays: async (text, values, name) =>
      (await client.query({ text, values: values as unknown[], name, rowMode: 'array' }).catch(dropOnClientTimeout)).rows,
    async copyFrom(sql, payload) {
      const stream = client.query(copyFrom(sql));
      await pipeline(Readable.from([payload]), stream);
      return stream.rowCount;
    },
    onLost: (listener) => void lostListeners.push(listener),
    async close() {
      closing = true;
      if (!lost) await client.end().catch(() => undefined);
    },
  };
}

export function createPgPool(opts: PgConnectOptions & { readonly size: number }): PgPool {
  const pool = new pg.Pool({ ...clientConfig(opts), max: opts.size, idleTimeoutMillis: POOL_IDLE_MS });
  // An idle pooled connection that dies is removed by the pool; without a listener it would throw.
  // Only the message: pg-pool hangs the whole client (connection parameters included) on the error.
  pool.on('error', (err) => log.warn('idle PostgreSQL read connection lost', { error: err.message, sqlstate: sqlState(err) }));
  return {
    queryArrays: async (text, values, name) => (await pool.query({ text, values: values as unknown[], name, rowMode: 'array' })).rows,
    close: () => pool.end(),
  };
}

/** PostgreSQL's SQLSTATE of an error (e.g. 23505 unique violation), else undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
