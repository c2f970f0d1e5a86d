import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../../src/domain/candle.js';
import { SqliteCandleStore } from '../../../src/writer/sqlite-candle-store.js';
import { writeDatadir } from '../../../tools/fixtures/fixture-writer.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { withPg } from '../../support/pg-query.js';
import { describeWithSharedFixtures, sharedFixture } from '../../support/shared-fixtures.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * `kline-gateway import` into PostgreSQL (the real CLI, `--store postgres --pg-url`): the real
 * freqtrade files of ../shared/fixtures give exactly the rows, values included, that the same
 * import gives in SQLite, and the same per-file summary.
 */
const CLI = new URL('../../../src/cli/cli.ts', import.meta.url).pathname;
const run = promisify(execFile);
const skip = pgSkipReason();
const SPOT = 'binance:spot:BTC/USDT:1m';

async function importCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, TRADE_CANVAS_LOG_LEVEL: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, 'import', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Summary lines without what depends on speed (rate, seconds). */
const outcome = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => /^(ok|FAIL|skip|done)/.test(l))
    .map((l) => l.replace(/ {2}[\d,]+ rows\/s {2}[\d.]+ s/, '').replace(/ in [\d.]+ s/, ''));

type Rows = Map<string, number[][]>;

/** The series a run imported (its `ok` lines). */
const importedSeries = (stdout: string) => [...stdout.matchAll(/^ok {4}(\S+)/gm)].map((m) => m[1]!).sort();

function sqliteRows(dbPath: string, series: readonly string[]): { rows: Rows; total: number } {
  const store = new SqliteCandleStore(dbPath);
  try {
    return { rows: new Map(series.map((s) => [s, chunk(store.between(s, 0, Number.MAX_SAFE_INTEGER, 10_000_000))])), total: store.count() };
  } finally {
    store.close();
  }
}

async function postgresRows(url: string): Promise<Rows> {
  return withPg(url, async (c) => {
    const res = await c.query({
      text: `SELECT s.series_id, c.candle_time::float8, c.open, c.high, c.low, c.close, c.volume FROM candles c JOIN series s ON s.id = c.series
             ORDER BY s.series_id, c.candle_time`,
      rowMode: 'array',
    });
    const rows: Rows = new Map();
    for (const [seriesId, ...candle] of res.rows as [string, ...number[]][]) rows.set(seriesId, [...(rows.get(seriesId) ?? []), candle]);
    return rows;
  });
}

const chunk = (packed: Float64Array) =>
  Array.from({ length: packed.length / CANDLE_STRIDE }, (_, i) => [...packed.subarray(i * CANDLE_STRIDE, (i + 1) * CANDLE_STRIDE)]);

describe.skipIf(skip !== null)('kline-gateway import --store postgres', () => {
  const cluster = usePgCluster();
  const dir = tempDir('pg-import');

  describeWithSharedFixtures('the freqtrade fixtures', () => {
    it('give the same rows and the same summary in PostgreSQL as in SQLite', async () => {
      const datadir = sharedFixture('freqtrade');
      const url = await cluster().createDatabase();
      const dbPath = join(dir, 'fixtures.db');
      const [pg, sqlite] = [
        await importCli('--datadir', datadir, '--store', 'postgres', '--pg-url', url),
        await importCli('--datadir', datadir, '--db', dbPath),
      ];
      expect(pg.code, pg.stderr).toBe(sqlite.code);
      expect(outcome(pg.stdout)).toEqual(outcome(sqlite.stdout));
      expect(outcome(pg.stdout).filter((l) => l.startsWith('ok')).length).toBeGreaterThanOrEqual(5);

      const series = importedSeries(sqlite.stdout);
      const inSqlite = sqliteRows(dbPath, series);
      const inPostgres = await postgresRows(url);
      expect([...inPostgres.keys()].sort()).toEqual(series);
      for (const [seriesId, rows] of inSqlite.rows) expect(inPostgres.get(seriesId), seriesId).toEqual(rows);
      expect([...inPostgres.values()].reduce((n, r) => n + r.length, 0)).toBe(inSqlite.total);
      expect(inSqlite.total).toBeGreaterThan(10_000);

      // Again: idempotent (every row now inside the stored range: the upsert path), same rows.
      const again = await importCli('--datadir', datadir, '--store', 'postgres', '--pg-url', url);
      expect(outcome(again.stdout)).toEqual(outcome(pg.stdout));
      expect(await postgresRows(url)).toEqual(inPostgres);
    }, 120_000);
  });

  it('imports a generated datadir; names a database it cannot reach (exit 1); needs a URL (exit 2)', async () => {
    const datadir = join(dir, 'data');
    await writeDatadir({ out: datadir, series: [SPOT], count: 3_000, startTime: 1_700_000_040, formats: ['feather'] });
    const url = await cluster().createDatabase();
    const ok = await importCli('--datadir', datadir, '--store', 'postgres', '--pg-url', url);
    expect(ok.code, ok.stderr).toBe(0);
    expect(outcome(ok.stdout)).toEqual([
      expect.stringMatching(/^ok {4}binance:spot:BTC\/USDT:1m {2}read 3,000 {2}written 3,000 {2}gaps 0 /),
      'done: 1 of 1 files imported, 3,000 rows written',
    ]);
    expect((await postgresRows(url)).get(SPOT)).toHaveLength(3_000);

    const down = await importCli('--datadir', datadir, '--store', 'postgres', '--pg-url', 'postgres://postgres@127.0.0.1:1/market');
    expect(down).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('cannot connect to PostgreSQL at postgres://postgres@127.0.0.1:1/market: ECONNREFUSED'),
    });
    const noUrl = await importCli('--datadir', datadir, '--store', 'postgres');
    expect(noUrl).toMatchObject({ code: 2, stderr: expect.stringContaining('TRADE_CANVAS_PG_URL: required when TRADE_CANVAS_STORE=postgres') });
  }, 60_000);
});

if (skip) it.skip(`kline-gateway import --store postgres — skipped, needs PostgreSQL: ${skip}`);
