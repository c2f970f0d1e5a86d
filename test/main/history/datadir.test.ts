import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCandleFiles } from '../../../src/main/history/datadir-listing.js';
import { findCandleFile, resolveDatadir } from '../../../src/main/history/datadir.js';
import { parseLenientJson } from '../../../src/main/history/lenient-json.js';
import { tempDir } from '../../support/temp-dir.js';

const NONE = { freqtradeDatadir: '', freqtradeConfig: '', freqtradeUserdir: '' };

/** Creates files (contents irrelevant to name resolution) under `root`. */
function touch(root: string, ...relPaths: string[]): void {
  for (const rel of relPaths) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), 'x');
  }
}

describe('resolveDatadir', () => {
  const root = tempDir('datadir-resolve');

  it('uses FREQTRADE_DATADIR first, as-is and with /<exchange>', () => {
    const resolution = resolveDatadir({ freqtradeDatadir: '/data/ft', freqtradeConfig: '/nope.json', freqtradeUserdir: '/ud' }, 'binance');
    expect(resolution).toEqual({ searchDirs: ['/data/ft', '/data/ft/binance'], source: 'datadir', notes: [] });
  });

  it('resolves a relative FREQTRADE_DATADIR against the working directory', () => {
    expect(resolveDatadir({ ...NONE, freqtradeDatadir: 'ft/data' }, 'binance', '/srv').searchDirs).toEqual(['/srv/ft/data', '/srv/ft/data/binance']);
  });

  it('falls back to the datadir key of the freqtrade config, comments and trailing commas allowed', () => {
    const config = join(root, 'config.json');
    writeFileSync(config, '{\n  // where candles live\n  "datadir": "/var/ft/data", /* absolute */\n  "stake_currency": "USDT",\n}\n');
    const resolution = resolveDatadir({ ...NONE, freqtradeConfig: config, freqtradeUserdir: '/ud' }, 'binance');
    expect(resolution).toEqual({ searchDirs: ['/var/ft/data', '/var/ft/data/binance'], source: 'config', notes: [] });
  });

  it("resolves a config's relative datadir against the config's folder, then the working directory", () => {
    const config = join(root, 'project', 'config.json');
    mkdirSync(join(root, 'project'), { recursive: true });
    writeFileSync(config, '{"datadir": "user_data/data/binance"}');
    expect(resolveDatadir({ ...NONE, freqtradeConfig: config }, 'binance', '/srv').searchDirs).toEqual([
      join(root, 'project/user_data/data/binance'),
      join(root, 'project/user_data/data/binance/binance'),
      '/srv/user_data/data/binance',
      '/srv/user_data/data/binance/binance',
    ]);
  });

  it('falls back to <FREQTRADE_USERDIR>/data, noting a config without datadir', () => {
    const config = join(root, 'no-datadir.json');
    writeFileSync(config, '{"exchange": {"name": "binance"}}');
    const resolution = resolveDatadir({ ...NONE, freqtradeConfig: config, freqtradeUserdir: '/home/ft/user_data' }, 'binance');
    expect(resolution.source).toBe('userdir');
    expect(resolution.searchDirs).toEqual(['/home/ft/user_data/data', '/home/ft/user_data/data/binance']);
    expect(resolution.notes).toEqual([expect.stringContaining('has no "datadir"')]);
  });

  it('notes an unreadable or invalid config instead of throwing', () => {
    const broken = join(root, 'broken.json');
    writeFileSync(broken, '{"datadir": ');
    expect(resolveDatadir({ ...NONE, freqtradeConfig: broken }, 'binance')).toMatchObject({
      source: 'none',
      searchDirs: [],
      notes: [expect.stringContaining('unreadable')],
    });
    expect(resolveDatadir({ ...NONE, freqtradeConfig: join(root, 'missing.json') }, 'binance').notes).toEqual([expect.stringContaining('unreadable')]);
  });

  it('has nothing to search when no setting is given', () => {
    expect(resolveDatadir(NONE, 'binance')).toEqual({ searchDirs: [], source: 'none', notes: [] });
  });
});

describe('parseLenientJson', () => {
  it('keeps comment-like text and commas inside strings', () => {
    expect(parseLenientJson('{"a": "x // not a comment, ]", "b": [1, 2,], /* c */ "c": "/* kept */",}')).toEqual({
      a: 'x // not a comment, ]',
      b: [1, 2],
      c: '/* kept */',
    });
    // A trailing comma followed by a comment, and an escaped quote inside a string.
    expect(parseLenientJson('{"a": [1, 2, // last\n], "b": "say \\"hi\\", /* no */", /* end */ }')).toEqual({ a: [1, 2], b: 'say "hi", /* no */' });
    expect(parseLenientJson('{"q": "say \\"hi\\" // still string"}')).toEqual({ q: 'say "hi" // still string' });
  });
});

describe('findCandleFile', () => {
  it('finds a spot file in <dir>/<exchange> when <dir> has none', async () => {
    const dir = tempDir('find-exchange');
    touch(dir, 'binance/BTC_USDT-1m.json');
    const { searchDirs } = resolveDatadir({ ...NONE, freqtradeDatadir: dir }, 'binance');
    expect(await findCandleFile(searchDirs, { market: 'spot', symbol: 'BTC/USDT', timeframe: '1m' })).toEqual({
      path: join(dir, 'binance/BTC_USDT-1m.json'),
      format: 'json',
      sizeBytes: 1,
    });
  });

  it('prefers <dir> itself over <dir>/<exchange>', async () => {
    const dir = tempDir('find-order');
    touch(dir, 'BTC_USDT-1m.json', 'binance/BTC_USDT-1m.feather');
    const found = await findCandleFile([dir, join(dir, 'binance')], { market: 'spot', symbol: 'BTC/USDT', timeframe: '1m' });
    expect(found?.path).toBe(join(dir, 'BTC_USDT-1m.json'));
  });

  it('prefers feather, then parquet, json.gz, json for one name', async () => {
    const dir = tempDir('find-formats');
    touch(dir, 'ETH_USDT-5m.json', 'ETH_USDT-5m.json.gz', 'ETH_USDT-5m.parquet');
    const series = { market: 'spot', symbol: 'ETH/USDT', timeframe: '5m' };
    expect((await findCandleFile([dir], series))?.format).toBe('parquet');
    touch(dir, 'ETH_USDT-5m.feather');
    expect((await findCandleFile([dir], series))?.format).toBe('feather');
  });

  it('finds futures under the settled name first, then the legacy name', async () => {
    const dir = tempDir('find-futures');
    const series = { market: 'futures', symbol: 'BTC/USDT', timeframe: '5m' };
    touch(dir, 'futures/BTC_USDT-5m-futures.feather');
    expect((await findCandleFile([dir], series))?.path).toBe(join(dir, 'futures/BTC_USDT-5m-futures.feather'));
    // The settled name wins even in a slower format.
    touch(dir, 'futures/BTC_USDT_USDT-5m-futures.json');
    expect((await findCandleFile([dir], series))?.path).toBe(join(dir, 'futures/BTC_USDT_USDT-5m-futures.json'));
  });

  it('does not take spot files for futures or mark files for futures', async () => {
    const dir = tempDir('find-types');
    touch(dir, 'BTC_USDT-5m.feather', 'futures/BTC_USDT_USDT-5m-mark.feather');
    expect(await findCandleFile([dir], { market: 'futures', symbol: 'BTC/USDT', timeframe: '5m' })).toBeUndefined();
  });

  it('finds month files spelled 1Mo or 1M', async () => {
    const dir = tempDir('find-month');
    const series = { market: 'spot', symbol: 'BTC/USDT', timeframe: '1M' };
    touch(dir, 'BTC_USDT-1M.json');
    expect((await findCandleFile([dir], series))?.path).toBe(join(dir, 'BTC_USDT-1M.json'));
    touch(dir, 'BTC_USDT-1Mo.json');
    expect((await findCandleFile([dir], series))?.path).toBe(join(dir, 'BTC_USDT-1Mo.json'));
  });

  it('answers undefined for missing dirs and directories named like files', async () => {
    const dir = tempDir('find-missing');
    mkdirSync(join(dir, 'BTC_USDT-1m.feather'));
    expect(await findCandleFile([join(dir, 'nope'), dir], { market: 'spot', symbol: 'BTC/USDT', timeframe: '1m' })).toBeUndefined();
  });
});

describe('listCandleFiles', () => {
  it('maps spot and USD-M files to series ids and says why it skips the rest', async () => {
    const dir = tempDir('list');
    touch(
      dir,
      'BTC_USDT-1m.feather',
      'BTC_USDT-1m.json',
      'ETH_BTC-1Mo.feather',
      'XRP_ETH-trades.parquet',
      'README.md',
      '.DS_Store',
      'futures/XRP_USDT_USDT-5m-futures.feather',
      'futures/XRP_USDT-5m-futures.json',
      'futures/ADA_USDT-1h-futures.json.gz',
      'futures/BTC_USD_BTC-1h-futures.feather',
      'futures/XRP_USDT_USDT-1h-mark.feather',
      'futures/XRP_USDT_USDT-8h-funding_rate.feather',
      'binance/SOL_USDT-15m.parquet',
      'binance/BTC_USDT-1m.feather',
    );
    const listing = await listCandleFiles([dir, join(dir, 'binance')], 'binance');
    expect(listing.files).toEqual([
      { seriesId: 'binance:futures:ADA/USDT:1h', path: join(dir, 'futures/ADA_USDT-1h-futures.json.gz'), format: 'json.gz' },
      { seriesId: 'binance:futures:XRP/USDT:5m', path: join(dir, 'futures/XRP_USDT_USDT-5m-futures.feather'), format: 'feather' },
      { seriesId: 'binance:spot:BTC/USDT:1m', path: join(dir, 'BTC_USDT-1m.feather'), format: 'feather' },
      { seriesId: 'binance:spot:SOL/USDT:15m', path: join(dir, 'binance/SOL_USDT-15m.parquet'), format: 'parquet' },
    ]);
    const reasons = Object.fromEntries(listing.skipped.map((s) => [s.path.slice(dir.length + 1), s.reason]));
    expect(reasons).toEqual({
      'BTC_USDT-1m.json': `shadowed by ${join(dir, 'BTC_USDT-1m.feather')}`,
      'ETH_BTC-1Mo.feather': 'timeframe 1M is not supported in series ids',
      'XRP_ETH-trades.parquet': 'trades file, not candles',
      'README.md': 'not a freqtrade candle file name',
      'futures/XRP_USDT-5m-futures.json': `shadowed by ${join(dir, 'futures/XRP_USDT_USDT-5m-futures.feather')}`,
      'futures/BTC_USD_BTC-1h-futures.feather': 'coin-margined pair BTC/USD:BTC is not a USD-M series',
      'futures/XRP_USDT_USDT-1h-mark.feather': 'candle type mark is not served',
      'futures/XRP_USDT_USDT-8h-funding_rate.feather': 'candle type funding_rate is not served',
      'binance/BTC_USDT-1m.feather': `shadowed by ${join(dir, 'BTC_USDT-1m.feather')}`,
    });
  });

  it('lists nothing for a missing datadir', async () => {
    expect(await listCandleFiles(['/definitely/not/here'], 'binance')).toEqual({ files: [], skipped: [] });
  });
});
