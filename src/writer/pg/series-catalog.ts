import { CANDLE_STRIDE, candleCount, timeAt } from '../../domain/candle.js';
import { firstIndexAfter, firstIndexAtOrAfter } from '../../domain/candle-batch.js';
import type { SeriesRows } from './pg-copy-binary.js';
import type { PgSession } from './pg-driver.js';

const SQL = {
  ensure: 'INSERT INTO series (series_id) SELECT unnest($1::text[]) ON CONFLICT (series_id) DO NOTHING',
  ids: 'SELECT id, series_id FROM series WHERE series_id = ANY($1::text[])',
  // Two index descents per series (min and max of the primary key's candle_time under its id).
  ranges: `SELECT s.id, (SELECT min(c.candle_time) FROM candles c WHERE c.series = s.id) AS first,
                 (SELECT max(c.candle_time) FROM candles c WHERE c.series = s.id) AS last
           FROM unnest($1::int4[]) AS s(id)`,
} as const;

/** Committed [first, last] candle_time of a series; an empty series is [+∞, -∞]. */
interface Range {
  readonly first: number;
  readonly last: number;
}

export interface RoutedRows {
  /** Rows before the series' first or after its last stored candle: they cannot conflict. */
  readonly append: SeriesRows[];
  /** Rows inside the stored range: they may replace stored candles. */
  readonly overlap: SeriesRows[];
}

/**
 * The writer's knowledge of the PostgreSQL tables: each series' dictionary id (created on first
 * write, never deleted) and its committed time range, which routes a drain's rows (REPORT §6):
 * new live candles come after `last` and history imports before `first`, so almost every row can
 * take `COPY` straight into the indexed table. The range is only a hint: when it is stale (another
 * writer, a manual edit) the COPY fails with a unique violation and the drain is redone through
 * the upsert path, so correctness never depends on it.
 */
export class SeriesCatalog {
  private readonly ids = new Map<string, number>();
  private readonly ranges = new Map<number, Range>();

  /**
   * Dictionary ids for a drain's series, creating missing ones (committed at once: an unused id is
   * harmless). Known series are looked up first: INSERT … ON CONFLICT would draw an identity
   * value for every existing series after each restart.
   */
  async resolve(session: PgSession, seriesIds: readonly string[]): Promise<Map<string, number>> {
    let missing = seriesIds.filter((s) => !this.ids.has(s));
    for (let pass = 0; missing.length > 0 && pass < 2; pass++) {
      if (pass === 1) await session.query(SQL.ensure, [missing]);
      for (const row of await session.query<{ id: number; series_id: string }>(SQL.ids, [missing])) this.ids.set(row.series_id, row.id);
      missing = missing.filter((s) => !this.ids.has(s));
    }
    if (missing.length > 0) throw new Error(`series ${missing[0]} has no dictionary id after inserting it`);
    return new Map(seriesIds.map((s) => [s, this.ids.get(s)!]));
  }

  /** Loads the committed range of series not cached yet (outside any transaction). */
  async loadRanges(session: PgSession, ids: Iterable<number>): Promise<void> {
    const missing = [...ids].filter((id) => !this.ranges.has(id));
    if (missing.length === 0) return;
    for (const row of await session.query<{ id: number; first: number | null; last: number | null }>(SQL.ranges, [missing])) {
      this.ranges.set(row.id, row.first === null ? { first: Infinity, last: -Infinity } : { first: row.first, last: row.last! });
    }
  }

  /** Splits each series' rows (sorted, unique times) by its cached range. */
  route(rows: readonly SeriesRows[]): RoutedRows {
    const append: SeriesRows[] = [];
    const overlap: SeriesRows[] = [];
    const part = (id: number, data: Float64Array, from: number, to: number) => ({ id, data: data.subarray(from * CANDLE_STRIDE, to * CANDLE_STRIDE) });
    for (const { id, data } of rows) {
      const { first, last } = this.ranges.get(id) ?? { first: -Infinity, last: Infinity }; // unknown: all may conflict
      const n = candleCount(data);
      const before = first === Infinity ? n : firstIndexAtOrAfter(data, first); // rows [0, before) precede first
      const after = last === -Infinity ? n : firstIndexAfter(data, last); // rows [after, n) follow last
      if (before >= after) {
        append.push({ id, data });
        continue;
      }
      if (before > 0) append.push(part(id, data, 0, before));
      overlap.push(part(id, data, before, after));
      if (after < n) append.push(part(id, data, after, n));
    }
    return { append, overlap };
  }

  /** After a commit: the ranges now include the rows written. */
  widen(rows: readonly SeriesRows[]): void {
    for (const { id, data } of rows) {
      const range = this.ranges.get(id);
      const n = candleCount(data);
      if (!range || n === 0) continue;
      this.ranges.set(id, { first: Math.min(range.first, timeAt(data, 0)), last: Math.max(range.last, timeAt(data, n - 1)) });
    }
  }

  /** Forgets cached ranges that proved stale (reloaded before the next drain of those series). */
  forget(ids: Iterable<number>): void {
    for (const id of ids) this.ranges.delete(id);
  }
}
