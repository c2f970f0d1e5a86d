import { describe, expect, it } from 'vitest';
import { formatOfPath } from '../../src/domain/freqtrade-formats.js';
import {
  candidateFiles,
  candidateStems,
  pairToFilename,
  parseCandleFileName,
  timeframeFromFilename,
  timeframeToFilename,
} from '../../src/domain/freqtrade-names.js';

describe('freqtrade file names', () => {
  it('replaces each of / space . @ $ + : in a pair by _', () => {
    expect(pairToFilename('BTC/USDT')).toBe('BTC_USDT');
    expect(pairToFilename('BTC/USDT:USDT')).toBe('BTC_USDT_USDT');
    expect(pairToFilename('A B.C@D$E+F:G/H')).toBe('A_B_C_D_E_F_G_H');
  });

  it('writes month 1M as 1Mo and reads 1Mo back as 1M, leaving minutes alone', () => {
    expect(timeframeToFilename('1M')).toBe('1Mo');
    expect(timeframeToFilename('1m')).toBe('1m');
    expect(timeframeFromFilename('1Mo')).toBe('1M');
    expect(timeframeFromFilename('15m')).toBe('15m');
  });

  it('names a spot series <PAIR>-<tf> at the datadir top', () => {
    expect(candidateStems({ market: 'spot', symbol: 'BTC/USDT', timeframe: '1m' })).toEqual(['BTC_USDT-1m']);
  });

  it('tries the settled futures name before the legacy one', () => {
    expect(candidateStems({ market: 'futures', symbol: 'BTC/USDT', timeframe: '5m' })).toEqual([
      'futures/BTC_USDT_USDT-5m-futures',
      'futures/BTC_USDT-5m-futures',
    ]);
  });

  it('uses a futures symbol that already names its settle currency as-is', () => {
    expect(candidateStems({ market: 'futures', symbol: 'BTC/USDT:USDT', timeframe: '1h' })).toEqual(['futures/BTC_USDT_USDT-1h-futures']);
  });

  it('looks for month files as 1Mo first, then 1M', () => {
    expect(candidateStems({ market: 'spot', symbol: 'ETH/BTC', timeframe: '1M' })).toEqual(['ETH_BTC-1Mo', 'ETH_BTC-1M']);
  });

  it('has no candidates for markets freqtrade does not store', () => {
    expect(candidateFiles({ market: 'options', symbol: 'BTC/USDT', timeframe: '1m' })).toEqual([]);
  });

  it('orders candidates by name variant first, then feather, parquet, json.gz, json', () => {
    const files = candidateFiles({ market: 'futures', symbol: 'ETH/USDT', timeframe: '1h' }).map((c) => c.relPath);
    expect(files).toEqual([
      'futures/ETH_USDT_USDT-1h-futures.feather',
      'futures/ETH_USDT_USDT-1h-futures.parquet',
      'futures/ETH_USDT_USDT-1h-futures.json.gz',
      'futures/ETH_USDT_USDT-1h-futures.json',
      'futures/ETH_USDT-1h-futures.feather',
      'futures/ETH_USDT-1h-futures.parquet',
      'futures/ETH_USDT-1h-futures.json.gz',
      'futures/ETH_USDT-1h-futures.json',
    ]);
  });

  it('tells json.gz from json by extension', () => {
    expect(formatOfPath('/d/BTC_USDT-1m.json.gz')).toBe('json.gz');
    expect(formatOfPath('/d/BTC_USDT-1m.json')).toBe('json');
    expect(formatOfPath('/d/BTC_USDT-1m.h5')).toBeUndefined();
  });
});

describe('parseCandleFileName', () => {
  it('reads spot and futures candle names', () => {
    expect(parseCandleFileName('BTC_USDT-1m.feather', false)).toEqual({
      ok: true,
      name: { pair: 'BTC/USDT', timeframe: '1m', candleType: 'spot', format: 'feather' },
    });
    expect(parseCandleFileName('XRP_USDT_USDT-5m-futures.json.gz', true)).toEqual({
      ok: true,
      name: { pair: 'XRP/USDT:USDT', timeframe: '5m', candleType: 'futures', format: 'json.gz' },
    });
    expect(parseCandleFileName('BTC_USDT-1Mo.parquet', false)).toMatchObject({ ok: true, name: { timeframe: '1M' } });
  });

  it('reads non-candle types for the caller to skip', () => {
    expect(parseCandleFileName('XRP_USDT_USDT-8h-funding_rate.feather', true)).toMatchObject({ ok: true, name: { candleType: 'funding_rate' } });
    expect(parseCandleFileName('XRP_USDT_USDT-1h-mark.feather', true)).toMatchObject({ ok: true, name: { candleType: 'mark' } });
  });

  it('rejects trades, foreign names, misplaced files and unreadable pairs with a reason', () => {
    expect(parseCandleFileName('XRP_ETH-trades.parquet', false)).toEqual({ ok: false, reason: 'trades file, not candles' });
    expect(parseCandleFileName('notes.txt', false)).toMatchObject({ ok: false });
    expect(parseCandleFileName('BTC_USDT-1m.feather', true)).toEqual({ ok: false, reason: 'spot-named file inside futures/' });
    expect(parseCandleFileName('BTC_USDT-1m-futures.feather', false)).toEqual({ ok: false, reason: 'futures file outside futures/' });
    expect(parseCandleFileName('BTCUSDT-1m.feather', false)).toMatchObject({ ok: false, reason: expect.stringContaining('cannot read pair') });
    expect(parseCandleFileName('BTC_USDT-1m-weird.feather', true)).toMatchObject({ ok: false, reason: expect.stringContaining('unknown candle type') });
  });
});
