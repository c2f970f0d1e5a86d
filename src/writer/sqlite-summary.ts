import type { SeriesSummary } from './contract.js';
import type { SqlConnection } from './schema.js';

/**
 * One series at a glance (debug series health), from the SQLite store's connection: its extent
 * and size, and its holes — steps between consecutive stored candles longer than the timeframe —
 * found with a window function over the primary key, in one scan of the series per query.
 */
export function seriesSummary(db: SqlConnection, seriesId: string, tfSeconds: number, maxRecentGaps: number): SeriesSummary {
  const extent = db.get('SELECT min(candle_time) AS first, max(candle_time) AS head, count(*) AS n FROM candles WHERE series_id = ?', [seriesId]) as {
    first: number | null;
    head: number | null;
    n: number;
  };
  const steps = `SELECT LAG(candle_time) OVER (ORDER BY candle_time) AS prev, candle_time AS next FROM candles WHERE series_id = ?`;
  const gaps = db.get(`SELECT count(*) AS n, max(next - prev) AS widest FROM (${steps}) WHERE next - prev > ?`, [seriesId, tfSeconds]) as {
    n: number;
    widest: number | null;
  };
  const recentGaps = db.all(`SELECT prev, next FROM (${steps}) WHERE next - prev > ? ORDER BY next DESC LIMIT ?`, [
    seriesId,
    tfSeconds,
    maxRecentGaps,
  ]) as Array<{
    prev: number;
    next: number;
  }>;
  return { first: extent.first, head: extent.head, count: extent.n, gapCount: gaps.n, maxGapSeconds: gaps.widest, recentGaps };
}
