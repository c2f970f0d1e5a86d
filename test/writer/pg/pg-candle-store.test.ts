import { afterEach, describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../../src/domain/candle.js';
import type { SeriesWrite } from '../../../src/writer/drain-plan.js';
import { PgCandleStore } from '../../../src/writer/pg/pg-candle-store.js';
import { packed, timesOf } from '../../support/candles.js';
import { pgSettings, pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { storedCandles, withPg } from '../../support/pg-query.js';
import { seededRandom } from '../../support/seeded-random.js';

const S = 'binance:futures:BTC/USDT:1m';
const E = 'binance:spot:ETH/USDT:1m';
const NONE = new Float64Array(0);
const write = (seriesId: string, all: Float64Array): SeriesWrite => ({ seriesId, all, published: all, silent: NONE });
const rows = (data: Float64Array) =>
  Array.from({ length: data.length / CANDLE_STRIDE }, (_, i) => [...data.subarray(i * CANDLE_STRIDE, (i + 1) * CANDLE_STRIDE)]);

/** Candles whose values are hard to round-trip as text: random doubles, extremes, negative zero. */
function awkward(times: number[], seed: number): Float64Array {
  const rand = seededRandom(seed);
  const special = [0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, -0, 123456789.12345679, 2 ** 53 + 2];
  const out = new Float64Array(times.length * CANDLE_STRIDE);
  times.forEach((t, i) => {
    out[i * CANDLE_STRIDE] = t;
    for (let k = 1; k < CANDLE_STRIDE; k++)
      out[i * CANDLE_STRIDE + k] = rand() < 0.2 ? special[Math.floor(rand() * special.length)]! : (rand() - 0.3) * 10 ** (rand() * 12 - 4);
  });
  return out;
}

const skip = pgSkipReason();

describe.skipIf(skip !== null)('the PostgreSQL candle store (real server)', () => {
  const cluster = usePgCluster();
  const stores: PgCandleStore[] = [];
  const open = async (url: string, overrides: Parameters<typeof pgSettings>[1] = {}) => {
    const store = await PgCandleStore.open(pgSettings(url, overrides));
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('stores every value bit for bit and reads it back: tail, after, between, heads, count', async () => {
    const url = await cluster().createDatabase();
    const store = await open(url);
    const times = Array.from({ length: 500 }, (_, i) => 1_700_000_000 + 60 * i);
    const data = awkward(times, 7);
    await store.writeDrain([write(S, data), write(E, awkward([60, 120], 8))]);
    const back = await store.tail(S, 1000);
    expect(rows(back)).toEqual(rows(data)); // toEqual tells -0 from 0
    expect(timesOf(await store.tail(S, 2))).toEqual(times.slice(-2));
    expect(timesOf(await store.after(S, times[497]!, 10))).toEqual(times.slice(498));
    expect(timesOf(await store.between(S, times[10]!, times[12]!, 10))).toEqual(times.slice(10, 13));
    expect(await store.heads([S, E, 'binance:spot:NOPE/USDT:1m'])).toEqual(
      new Map([
        [S, times[499]],
        [E, 120],
        ['binance:spot:NOPE/USDT:1m', null],
      ]),
    );
    expect([await store.count(S), await store.count(S, 3), await store.count()]).toEqual([500, 3, 502]);
    expect(rows(new Float64Array((await storedCandles(url, E)).flat()))).toEqual(rows(awkward([60, 120], 8)));
  });

  it('a drain of exchange copies (durable: false) commits like any other: readable at once from another connection', async () => {
    const url = await cluster().createDatabase();
    const store = await open(url);
    await store.writeDrain([write(S, packed([60, 120], 1))], { durable: false });
    await store.writeDrain([write(S, packed([120, 180], 2))], { durable: false }); // the upsert path too
    await store.writeDrain([write(S, packed([240], 3))]);
    expect((await storedCandles(url, S)).map((r) => [r[0], r[1]])).toEqual([
      [60, 1],
      [120, 2],
      [180, 2],
      [240, 3],
    ]);
  });

  it('appends rows outside the stored range with COPY, and upserts the rows inside it (last write wins)', async () => {
    const store = await open(await cluster().createDatabase());
    await store.writeDrain([write(S, packed([600, 660, 720], 1))]);
    expect(store.counters).toEqual({ appendedRows: 3, upsertedRows: 0, staleRangeRetries: 0 });
    // 660 replaces a stored candle; 540 is history before the first, 780 a new live candle.
    await store.writeDrain([write(S, new Float64Array([...packed([540], 2), ...packed([660], 9), ...packed([780], 2)]))]);
    expect(store.counters).toEqual({ appendedRows: 5, upsertedRows: 1, staleRangeRetries: 0 });
    const stored = await store.tail(S, 10);
    expect(timesOf(stored)).toEqual([540, 600, 660, 720, 780]);
    expect(rows(stored).map((r) => r[1])).toEqual([2, 1, 9, 1, 2]);
  });

  it('redoes a drain through the upsert path when its cached range was stale (another writer)', async () => {
    const url = await cluster().createDatabase();
    const a = await open(url);
    const b = await open(url);
    await a.writeDrain([write(S, packed([60], 1))]); // a caches [60, 60]
    await b.writeDrain([write(S, packed([120], 2))]); // a does not know
    // b found S in the dictionary: no identity value drawn for it (restarts would burn them).
    expect(await withPg(url, async (c) => (await c.query("SELECT pg_sequence_last_value('series_id_seq') AS v")).rows[0].v)).toBe('1');
    await a.writeDrain([write(S, packed([120, 180], 3))]); // "after 60": COPY hits 120 → 23505 → stage
    expect(a.counters.staleRangeRetries).toBe(1);
    expect((await storedCandles(url, S)).map((r) => [r[0], r[1]])).toEqual([
      [60, 1],
      [120, 3],
      [180, 3],
    ]);
    await a.writeDrain([write(S, packed([240], 4))]); // the reloaded range routes it by COPY again
    expect(a.counters).toMatchObject({ appendedRows: 2, staleRangeRetries: 1 });
  });

  it('creates its schema once when several stores start together, and refuses what it cannot adopt', async () => {
    const url = await cluster().createDatabase();
    await Promise.all([open(url), open(url), open(url)]);
    await withPg(url, async (c) => expect((await c.query('SELECT version FROM schema_version')).rows).toEqual([{ version: 1 }]));

    await withPg(url, (c) => c.query('INSERT INTO schema_version VALUES (9)'));
    await expect(open(url)).rejects.toThrow(/database schema version 9 is newer than this gateway supports \(1\)/);

    const foreign = await cluster().createDatabase();
    await withPg(foreign, (c) => c.query('CREATE TABLE candles (series_id text, candle_time bigint)'));
    await expect(open(foreign)).rejects.toThrow(/already has a table named candles that kline-gateway did not create/);
  });

  it("adopts an operator's candles table partitioned by time (docs/operations.md recipe); retention is DROP of a partition", async () => {
    const url = await cluster().createDatabase();
    await withPg(url, (c) =>
      c.query(`
        CREATE TABLE schema_version (version int4 NOT NULL);
        INSERT INTO schema_version VALUES (1);
        CREATE TABLE series (id int4 GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, series_id text NOT NULL UNIQUE);
        CREATE TABLE candles (series int4 NOT NULL, candle_time int8 NOT NULL, open float8 NOT NULL, high float8 NOT NULL,
          low float8 NOT NULL, close float8 NOT NULL, volume float8 NOT NULL, PRIMARY KEY (series, candle_time)) PARTITION BY RANGE (candle_time);
        CREATE TABLE candles_old PARTITION OF candles FOR VALUES FROM (MINVALUE) TO (1000);
        CREATE TABLE candles_new PARTITION OF candles FOR VALUES FROM (1000) TO (MAXVALUE);`),
    );
    const store = await open(url);
    await store.writeDrain([write(S, packed([600, 1200], 1))]); // COPY into both partitions
    await store.writeDrain([write(S, new Float64Array([...packed([600], 5), ...packed([1260], 5)]))]); // upsert + COPY
    expect(store.counters).toEqual({ appendedRows: 3, upsertedRows: 1, staleRangeRetries: 0 });
    expect(rows(await store.tail(S, 10)).map((r) => [r[0], r[1]])).toEqual([
      [600, 5],
      [1200, 1],
      [1260, 5],
    ]);
    await withPg(url, (c) => c.query('DROP TABLE candles_old'));
    expect(timesOf(await store.tail(S, 10))).toEqual([1200, 1260]);
  });

  it('fails a drain that waits past the statement timeout, naming it; the same drain succeeds afterwards', async () => {
    const url = await cluster().createDatabase();
    const store = await open(url, { statementTimeoutMs: 300 });
    await store.writeDrain([write(S, packed([60]))]);
    await withPg(url, async (locker) => {
      // Blocks every write to candles, not reads: the COPY waits for the lock until the timeout.
      await locker.query('BEGIN; LOCK TABLE candles IN EXCLUSIVE MODE');
      const failure = await store.writeDrain([write(S, packed([120]))]).catch((err: unknown) => err);
      expect(store.explain(failure)).toMatch(/^statement timeout \(TRADE_CANVAS_PG_STATEMENT_TIMEOUT_MS\): .*\(SQLSTATE 57014\)$/);
      await locker.query('ROLLBACK');
    });
    await store.writeDrain([write(S, packed([120]))]);
    expect(timesOf(await store.tail(S, 10))).toEqual([60, 120]);
  });

  it('reports a lost write connection at once, reconnects by itself, and writes again', async () => {
    const url = await cluster().createDatabase();
    const store = await open(url);
    const statuses: Array<string | null> = [];
    store.onStatus((p) => statuses.push(p));
    await store.writeDrain([write(S, packed([60]))]);
    await withPg(url, (c) =>
      c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kline-gateway writer' AND datname = current_database()"),
    );
    await expect.poll(() => statuses, { timeout: 10_000 }).toEqual([expect.stringMatching(/^PostgreSQL connection lost: .*SQLSTATE 57P01/), null]);
    await store.writeDrain([write(S, packed([120]))]);
    expect(timesOf(await store.tail(S, 10))).toEqual([60, 120]);
  });

  it('names the server it cannot reach (never its password), and with a wait opens once the server is up', async () => {
    await expect(PgCandleStore.open(pgSettings('postgres://gw:secret@127.0.0.1:1/market'))).rejects.toThrow(
      /^cannot connect to PostgreSQL at postgres:\/\/gw:\*\*\*@127\.0\.0\.1:1\/market: ECONNREFUSED/,
    );
    const url = await cluster().createDatabase();
    const store = await open(url);
    await store.writeDrain([write(S, packed([60]))]);
    await cluster().stop();
    try {
      await expect(store.tail(S, 10)).rejects.toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^PostgreSQL read failed: /) });
      const waiting = open(url, { connectWaitMs: 60_000 });
      await cluster().start();
      const reopened = await waiting;
      expect(timesOf(await reopened.tail(S, 10))).toEqual([60]);
    } finally {
      if (!cluster().running) await cluster().start();
    }
  });
});

if (skip) it.skip(`the PostgreSQL candle store — skipped, needs PostgreSQL: ${skip}`);
