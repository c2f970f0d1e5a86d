import { describe, expect, it } from 'vitest';
import { parseSeriesId } from '../../src/domain/series-id.js';
import { timeframeSeconds } from '../../src/domain/timeframe.js';

describe('series_id (contract §1)', () => {
  it('splits exchange, market, symbol and timeframe; the symbol may contain colons', () => {
    expect(parseSeriesId('binance:futures:BTC/USDT:1m')).toMatchObject({
      exchange: 'binance',
      market: 'futures',
      symbol: 'BTC/USDT',
      timeframe: '1m',
      tfSeconds: 60,
    });
    expect(parseSeriesId('binance:futures:BTC/USDT:USDT:1h')).toMatchObject({ symbol: 'BTC/USDT:USDT', timeframe: '1h', tfSeconds: 3600 });
  });

  it('trims parts but keeps the raw string as the key', () => {
    const id = parseSeriesId(' binance : spot : ETH/USDT : 4h ');
    expect(id).toMatchObject({ exchange: 'binance', market: 'spot', symbol: 'ETH/USDT', timeframe: '4h', tfSeconds: 14400 });
    expect(id.raw).toBe(' binance : spot : ETH/USDT : 4h ');
  });

  it.each([
    '',
    'binance',
    'binance:spot:1m',
    'binance::BTC/USDT:1m',
    ':spot:BTC/USDT:1m',
    'binance:spot: :1m',
    'binance:spot:BTC/USDT:',
    'binance:spot:BTC/USDT:1w',
    'binance:spot:BTC/USDT:0m',
    'x'.repeat(201),
  ])('rejects %j with bad_request "invalid series_id"', (raw) => {
    expect(() => parseSeriesId(raw)).toThrowError(expect.objectContaining({ code: 'bad_request', message: 'invalid series_id' }));
  });

  it('rejects non-strings', () => {
    for (const v of [null, 1, {}, []]) expect(() => parseSeriesId(v)).toThrowError('invalid series_id');
  });
});

describe('timeframe', () => {
  it.each([
    ['1m', 60],
    ['15m', 900],
    ['4h', 14400],
    ['1d', 86400],
    ['05m', 300],
  ])('%s = %i s', (tf, seconds) => expect(timeframeSeconds(tf)).toBe(seconds));

  it.each(['0m', '1w', '1M', 'm', '1.5h', '-1m', '1 m', 'h1'])('rejects %j', (tf) => {
    expect(() => timeframeSeconds(tf)).toThrowError(/invalid timeframe/);
  });
});
