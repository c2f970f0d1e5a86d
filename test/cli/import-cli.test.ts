import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeDatadir } from '../../tools/fixtures/fixture-writer.js';
import { acquireDbOwnership } from '../../src/main/store/db-owner.js';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { tempDir } from '../support/temp-dir.js';

const CLI = new URL('../../src/cli/cli.ts', import.meta.url).pathname;
const run = promisify(execFile);
const dir = tempDir('import-cli');
const datadir = join(dir, 'data');
const SPOT = 'binance:spot:BTC/USDT:1m';
const FUT = 'binance:futures:ETH/USDT:5m';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<CliRun> {
  const env = { ...process.env, TRADE_CANVAS_LOG_LEVEL: '' };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, 'import', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `ok`/`FAIL` summary lines as [status, series, read, written, gaps]. */
function summaries(stdout: string): Array<[string, string, number, number, number]> {
  const num = (s: string) => Number(s.replaceAll(',', ''));
  return stdout
    .split('\n')
    .map((line) => /^(ok|FAIL)\s+(\S+)\s+read ([\d,]+)\s+written ([\d,]+)\s+gaps ([\d,]+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!, num(m[3]!), num(m[4]!), num(m[5]!)]);
}

function countRows(dbPath: string, seriesId?: string): number {
  const store = new SqliteCandleStore(dbPath);
  try {
    return store.count(seriesId);
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  mkdirSync(join(dir, 'empty-dir-for-cli'));
  await writeDatadir({
    out: datadir,
    series: [SPOT],
    count: 60_000,
    startTime: 1_700_000_040,
    gaps: [{ every: 20_000, bars: 2 }],
    formats: ['feather', 'json'],
  });
  await writeDatadir({ out: datadir, series: [FUT], count: 5_000, startTime: 1_700_000_100, formats: ['parquet'] });
  writeFileSync(join(datadir, 'BROKEN_USDT-1h.feather'), ''); // freqtrade leaves these after failed downloads
});

describe('kline-gateway import', () => {
  it('imports every candle file of a datadir, reports each, and exits 1 because one file is bad', async () => {
    const db = join(dir, 'all.db');
    const result = await cli('--datadir', datadir, '--db', db);
    expect(result.code).toBe(1);
    expect(summaries(result.stdout)).toEqual([
      ['ok', FUT, 5_000, 5_000, 0],
      ['FAIL', 'binance:spot:BROKEN/USDT:1h', 0, 0, 0],
      ['ok', SPOT, 60_000, 60_000, 2],
    ]);
    expect(result.stdout).toMatch(/FAIL {2}binance:spot:BROKEN\/USDT:1h .* empty_file: \S+BROKEN_USDT-1h\.feather: feather file is 0 bytes/);
    expect(result.stdout).toMatch(/ok {4}binance:spot:BTC\/USDT:1m .* [\d,]+ rows\/s/);
    expect(result.stdout).toContain(`skip  ${join(datadir, 'BTC_USDT-1m.json')}: shadowed by ${join(datadir, 'BTC_USDT-1m.feather')}`);
    expect(result.stdout).toMatch(/done: 2 of 3 files imported, 65,000 rows written in [\d.]+ s; 1 failed/);
    expect(countRows(db)).toBe(65_000);
  });

  it('is idempotent: a second run writes the same rows and the row count stays', async () => {
    const db = join(dir, 'again.db');
    const first = await cli('--datadir', datadir, '--db', db, '--series', SPOT, '--series', FUT);
    expect(first.code).toBe(0);
    const second = await cli('--datadir', datadir, '--db', db, '--series', SPOT, '--series', FUT);
    expect(second.code).toBe(0);
    expect(summaries(second.stdout)).toEqual(summaries(first.stdout));
    expect(summaries(second.stdout).map((s) => s[3])).toEqual([60_000, 5_000]);
    expect(countRows(db, SPOT)).toBe(60_000);
    expect(countRows(db)).toBe(65_000);
  });

  it('fails a named series without a file, and refuses bad arguments with exit 2', async () => {
    const missing = await cli('--datadir', datadir, '--db', join(dir, 'missing.db'), '--series', 'binance:spot:NONE/USDT:1m');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('FAIL  binance:spot:NONE/USDT:1m  no candle file in the datadir');
    expect((await cli('--datadir', datadir, '--series', 'not-a-series')).code).toBe(2);
    const noDir = await cli('--datadir', join(dir, 'nope'), '--db', join(dir, 'x.db'));
    expect(noDir).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a directory') });
    expect((await cli('--bogus')).code).toBe(2);
    const empty = await cli('--datadir', join(dir, 'empty-dir-for-cli'), '--db', join(dir, 'y.db'));
    expect(empty).toMatchObject({ code: 1, stderr: expect.stringContaining('no spot or futures candle files in') });
  });

  it('refuses a database another kline-gateway owns, with the owner message', async () => {
    const db = join(dir, 'owned.db');
    const owner = await acquireDbOwnership(db); // this test process plays the running gateway
    try {
      const result = await cli('--datadir', datadir, '--db', db, '--series', SPOT);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`database ${db} is in use by another kline-gateway process (pid ${process.pid}`);
      expect(result.stdout).not.toMatch(/^ok/m);
    } finally {
      await owner.release();
    }
  });
});
