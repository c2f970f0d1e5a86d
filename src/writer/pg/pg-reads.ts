import { CANDLE_STRIDE } from '../../domain/candle.js';
import { reversePacked } from '../../domain/candle-batch.js';
import { GatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { SeriesSummary } from '../contract.js';
import type { PgPool } from './pg-driver.js';
import { explainPgError, isTransientPgError } from './pg-errors.js';

const log = createLogger('store.pg');

const COLUMNS = 'candle_time, open, high, low, close, volume';
/** The series' dictionary id; a series never written has none, and every read answers empty. */
const ID = '(SELECT id FROM series WHERE series_id = $1)';

const STEPS = `SELECT lag(candle_time) OVER (ORDER BY candle_time) AS prev, candle_time AS next FROM candles WHERE series = ${ID}`;

const SQL = {
  tail: `SELECT ${COLUMNS} FROM candles WHERE series = ${ID} ORDER BY candle_time DESC LIMIT $2`,
  after: `SELECT ${COLUMNS} FROM candles WHERE series = ${ID} AND candle_time > $2 ORDER BY candle_time ASC LIMIT $3`,
  before: `SELECT ${COLUMNS} FROM candles WHERE series = ${ID} AND candle_time < $2 ORDER BY candle_time DESC LIMIT $3`,
  between: `SELECT ${COLUMNS} FROM candles WHERE series = ${ID} AND candle_time >= $2 AND candle_time <= $3 ORDER BY candle_time ASC LIMIT $4`,
  heads: 'SELECT s.series_id, (SELECT max(c.candle_time) FROM candles c WHERE c.series = s.id) FROM series s WHERE s.series_id = ANY($1::text[])',
  count: `SELECT count(*) FROM candles WHERE series = ${ID}`,
  countUpTo: `SELECT count(*) FROM (SELECT 1 FROM candles WHERE series = ${ID} LIMIT $2) AS upto`,
  countAll: 'SELECT count(*) FROM candles',
  extent: `SELECT min(candle_time), max(candle_time), count(*) FROM candles WHERE series = ${ID}`,
  // Holes: steps between consecutive stored candles longer than the timeframe ($2).
  gaps: `SELECT count(*), max(next - prev) FROM (${STEPS}) AS steps WHERE next - prev > $2`,
  recentGaps: `SELECT prev, next FROM (${STEPS}) AS steps WHERE next - prev > $2 ORDER BY next DESC LIMIT $3`,
} as const;

/**
 * The store's reads, on the read pool: they run beside the writer's transactions (PostgreSQL's
 * read committed: each statement sees what was committed when it started), never on the write
 * connection, whose open transaction they would join. Rows come as arrays and are packed here.
 *
 * A read that fails transiently (a pooled connection the server dropped, a statement timeout) is
 * tried once more, logged; then the caller gets `unavailable` (503: PostgreSQL unreachable) or
 * `store_failed`.
 */
export class PgReads {
  constructor(private readonly pool: PgPool) {}

  async tail(seriesId: string, limit: number): Promise<Float64Array> {
    return reversePacked(packRows(await this.query('candles_tail', SQL.tail, [seriesId, limit])));
  }

  async after(seriesId: string, since: number, limit: number): Promise<Float64Array> {
    return packRows(await this.query('candles_after', SQL.after, [seriesId, since, limit]));
  }

  async before(seriesId: string, before: number, limit: number): Promise<Float64Array> {
    return reversePacked(packRows(await this.query('candles_before', SQL.before, [seriesId, before, limit])));
  }

  async between(seriesId: string, from: number, to: number, limit: number): Promise<Float64Array> {
    return packRows(await this.query('candles_between', SQL.between, [seriesId, from, to, limit]));
  }

  async heads(seriesIds: readonly string[]): Promise<Map<string, number | null>> {
    const heads = new Map<string, number | null>(seriesIds.map((s) => [s, null]));
    for (const [seriesId, head] of await this.query('candles_heads', SQL.heads, [seriesIds])) heads.set(seriesId as string, head as number | null);
    return heads;
  }

  async count(seriesId?: string, atMost?: number): Promise<number> {
    const rows =
      seriesId === undefined
        ? await this.query('candles_count_all', SQL.countAll, [])
        : atMost === undefined
          ? await this.query('candles_count', SQL.count, [seriesId])
          : await this.query('candles_count_upto', SQL.countUpTo, [seriesId, atMost]);
    return rows[0]![0] as number;
  }

  /** Extent, size and holes of one series (debug series health): window functions over the primary key. */
  async summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Promise<SeriesSummary> {
    const [[first, head, count]] = (await this.query('candles_extent', SQL.extent, [seriesId])) as [[number | null, number | null, number]];
    const [[gapCount, maxGapSeconds]] = (await this.query('candles_gaps', SQL.gaps, [seriesId, tfSeconds])) as [[number, number | null]];
    const recent = (await this.query('candles_recent_gaps', SQL.recentGaps, [seriesId, tfSeconds, maxRecentGaps])) as Array<[number, number]>;
    return { first, head, count, gapCount, maxGapSeconds, recentGaps: recent.map(([prev, next]) => ({ prev, next })) };
  }

  private async query(name: string, text: string, values: readonly unknown[]): Promise<unknown[][]> {
    try {
      return await this.pool.queryArrays(text, values, name);
    } catch (err) {
      if (!isTransientPgError(err)) throw readFailed(err);
      log.warn('PostgreSQL read failed; trying once more', { query: name, error: explainPgError(err) });
      try {
        return await this.pool.queryArrays(text, values, name);
      } catch (again) {
        throw readFailed(again);
      }
    }
  }
}

function readFailed(err: unknown): GatewayError {
  return new GatewayError(isTransientPgError(err) ? 'unavailable' : 'store_failed', `PostgreSQL read failed: ${explainPgError(err)}`, { cause: err });
}

/** Rows `[t, o, h, l, c, v]` (int8 already a number, float8 exact: PostgreSQL ≥ 12 prints shortest round-trip) → packed. */
function packRows(rows: unknown[][]): Float64Array {
  const packed = new Float64Array(rows.length * CANDLE_STRIDE);
  let o = 0;
  for (const row of rows) for (let k = 0; k < CANDLE_STRIDE; k++) packed[o++] = row[k] as number;
  return packed;
}
