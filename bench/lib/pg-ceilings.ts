import { connectPg, type PgSession } from '../../src/writer/pg/pg-driver.js';
import { encodeCopyBinary, type SeriesRows } from '../../src/writer/pg/pg-copy-binary.js';

const COLUMNS =
  '(series int4 NOT NULL, candle_time int8 NOT NULL, open float8 NOT NULL, high float8 NOT NULL, low float8 NOT NULL, close float8 NOT NULL, volume float8 NOT NULL';

/**
 * PostgreSQL's ceilings for a set of rows, through the store's own driver and binary COPY
 * encoding (encoding included in the time, as in the store):
 *   - `temp`: COPY into an unindexed TEMP table — the engine's bare ingest rate (issue 13's
 *     ceiling): no index, no WAL;
 *   - `indexed`: COPY into a logged table defined exactly like `candles` (primary key (series,
 *     candle_time)), preloaded like it — the fastest any correct write into candles can be.
 */
export class PgCeilings {
  private constructor(private readonly session: PgSession) {}

  static async open(url: string): Promise<PgCeilings> {
    const session = await connectPg({ url, statementTimeoutMs: 0, applicationName: 'kline-gateway bench ceilings' });
    await session.query(`CREATE TEMP TABLE ceiling_temp ${COLUMNS})`);
    await session.query(`CREATE TABLE IF NOT EXISTS ceiling_indexed ${COLUMNS}, PRIMARY KEY (series, candle_time))`);
    return new PgCeilings(session);
  }

  /** ms for one transaction copying `rows` into the unindexed temp table (emptied afterwards, untimed). */
  async temp(rows: readonly SeriesRows[]): Promise<number> {
    const ms = await this.copy('ceiling_temp', rows);
    await this.session.query('TRUNCATE ceiling_temp');
    return ms;
  }

  /** ms for one transaction copying `rows` (keys not stored yet) into the indexed table. */
  indexed(rows: readonly SeriesRows[]): Promise<number> {
    return this.copy('ceiling_indexed', rows);
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private async copy(table: string, rows: readonly SeriesRows[]): Promise<number> {
    const t0 = performance.now();
    await this.session.query('BEGIN');
    await this.session.copyFrom(`COPY ${table} (series, candle_time, open, high, low, close, volume) FROM STDIN (FORMAT binary)`, encodeCopyBinary(rows));
    await this.session.query('COMMIT');
    return performance.now() - t0;
  }
}
