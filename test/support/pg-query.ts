import pg from 'pg';

/**
 * Looks at a PostgreSQL database directly, beside the gateway (what is durably stored, values
 * bit for bit). Tests only: the gateway's one importer of `pg` is src/writer/pg/pg-driver.ts.
 */
export async function withPg<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** A series' candles as stored: [time, o, h, l, c, v] rows, ascending. */
export async function storedCandles(url: string, seriesId: string): Promise<number[][]> {
  return withPg(url, async (c) => {
    const res = await c.query({
      text: `SELECT c.candle_time::float8, c.open, c.high, c.low, c.close, c.volume FROM candles c JOIN series s ON s.id = c.series
             WHERE s.series_id = $1 ORDER BY c.candle_time`,
      values: [seriesId],
      rowMode: 'array',
    });
    return res.rows as number[][];
  });
}

/** The newest stored candle time of every series (one query: tests poll it). */
export async function newestStoredTimes(url: string): Promise<Map<string, number>> {
  return withPg(url, async (c) => {
    const res = await c.query<{ series_id: string; newest: number }>(
      `SELECT s.series_id, max(c.candle_time)::float8 AS newest FROM candles c JOIN series s ON s.id = c.series GROUP BY s.series_id`,
    );
    return new Map(res.rows.map((r) => [r.series_id, r.newest]));
  });
}
