import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSeriesId } from '../../../src/domain/series-id.js';
import { DEFAULT_DOWNLOAD_COMMAND, downloadCommand, DownloadTrigger, freqtradePair } from '../../../src/main/history/download-trigger.js';
import { readCandleFile } from '../../../src/decode/read-candle-file.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { writeFakeFreqtrade } from '../../support/fake-freqtrade.js';
import { captureLogs } from '../../support/log-capture.js';
import { useTempDir } from '../../support/temp-dir.js';

const SPOT = parseSeriesId('binance:spot:BTC/USDT:1m');
const FUTURES = parseSeriesId('binance:futures:XRP/USDT:5m');

describe('freqtrade download-data command', () => {
  it('names pairs as freqtrade does: spot BTC/USDT, USD-M futures BTC/USDT:USDT', () => {
    expect(freqtradePair(SPOT)).toBe('BTC/USDT');
    expect(freqtradePair(FUTURES)).toBe('XRP/USDT:USDT');
    expect(freqtradePair(parseSeriesId('binance:futures:ETH/USDT:USDT:1h'))).toBe('ETH/USDT:USDT');
  });

  it('builds the default command with --trading-mode futures only for futures', () => {
    const settings = { command: '', bin: 'freqtrade', datadir: '/data/my dir' };
    expect(downloadCommand(settings, 'binance', 'BTC/USDT', '1m', false)).toEqual([
      'freqtrade',
      'download-data',
      '--exchange',
      'binance',
      '--pairs',
      'BTC/USDT',
      '--timeframes',
      '1m',
      '--datadir',
      '/data/my dir',
    ]);
    expect(downloadCommand(settings, 'binance', 'XRP/USDT:USDT', '5m', true)).toEqual([
      'freqtrade',
      'download-data',
      '--exchange',
      'binance',
      '--pairs',
      'XRP/USDT:USDT',
      '--timeframes',
      '5m',
      '--trading-mode',
      'futures',
      '--datadir',
      '/data/my dir',
    ]);
    expect(DEFAULT_DOWNLOAD_COMMAND).toContain('{trading_mode_args}');
  });

  it('substitutes a custom template word by word, without a shell', () => {
    const settings = {
      command: 'docker run ft download-data --pairs={pair} -t {timeframe} {trading_mode_args} --userdir x --datadir {datadir}; rm -rf /',
      bin: 'unused',
      datadir: '/d',
    };
    expect(downloadCommand(settings, 'binance', 'BTC/USDT:USDT', '1h', true)).toEqual([
      'docker',
      'run',
      'ft',
      'download-data',
      '--pairs=BTC/USDT:USDT',
      '-t',
      '1h',
      '--trading-mode',
      'futures',
      '--userdir',
      'x',
      '--datadir',
      '/d;',
      'rm',
      '-rf',
      '/',
    ]);
  });
});

describe('download trigger (with a stand-in freqtrade script)', () => {
  const tempDir = useTempDir('kline-download-');
  beforeAll(() => setLogLevel('warn'));

  it('runs the command, which writes the candle file into the datadir', async () => {
    const dir = tempDir();
    const fake = writeFakeFreqtrade(dir, { candles: 4 });
    const datadir = join(dir, 'data');
    const trigger = new DownloadTrigger({ command: '', bin: fake.bin, cooldownS: 600, datadir });
    expect(await trigger.download(FUTURES)).toBe('downloaded');
    expect(fake.calls()).toEqual([`download-data --exchange binance --pairs XRP/USDT:USDT --timeframes 5m --trading-mode futures --datadir ${datadir}`]);
    const file = join(datadir, 'futures/XRP_USDT_USDT-5m-futures.json');
    expect((await readCandleFile(file, { tfSeconds: 300 })).rowsKept).toBe(4);
  });

  it('runs once per pair and timeframe at a time, and not again within the cooldown', async () => {
    const dir = tempDir();
    const fake = writeFakeFreqtrade(dir, { sleepS: 0.3 });
    let now = 1_000_000;
    const trigger = new DownloadTrigger({ command: '', bin: fake.bin, cooldownS: 60, datadir: join(dir, 'data') }, () => now);
    const both = await Promise.all([trigger.download(SPOT), trigger.download(SPOT), trigger.download(FUTURES)]);
    expect(both).toEqual(['downloaded', 'downloaded', 'downloaded']);
    expect(fake.calls()).toHaveLength(2); // BTC/USDT 1m once, XRP/USDT:USDT 5m once
    now += 59_000;
    expect(await trigger.download(SPOT)).toBe('cooldown');
    expect(fake.calls()).toHaveLength(2);
    now += 1_000;
    expect(await trigger.download(SPOT)).toBe('downloaded');
    expect(fake.calls()).toHaveLength(3);
  });

  it('logs a missing freqtrade once and answers not_installed', async () => {
    const logs = captureLogs();
    const trigger = new DownloadTrigger({ command: '', bin: join(tempDir(), 'no-such-freqtrade'), cooldownS: 0, datadir: tempDir() });
    expect(await trigger.download(SPOT)).toBe('not_installed');
    expect(await trigger.download(FUTURES)).toBe('not_installed');
    const lines = logs.filter((l) => l.msg === 'freqtrade is not installed; series without a candle file start without history');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', component: 'history.download' });
  });

  it('reports a failed download with the program output and writes nothing', async () => {
    const logs = captureLogs();
    const dir = tempDir();
    const fake = writeFakeFreqtrade(dir, { exitCode: 3 });
    const trigger = new DownloadTrigger({ command: '', bin: fake.bin, cooldownS: 0, datadir: join(dir, 'data') });
    expect(await trigger.download(SPOT)).toBe('failed');
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'freqtrade download failed', exit_code: 3, output: 'fake freqtrade: download of BTC/USDT failed' }),
    );
    expect(existsSync(join(dir, 'data', 'BTC_USDT-1m.json'))).toBe(false);
  });

  it('skips markets freqtrade has no candles for', async () => {
    const trigger = new DownloadTrigger({ command: '', bin: 'freqtrade', cooldownS: 0, datadir: tempDir() });
    expect(await trigger.download(parseSeriesId('binance:options:BTC/USDT:1m'))).toBe('unsupported');
  });
});
