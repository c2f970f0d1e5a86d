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
