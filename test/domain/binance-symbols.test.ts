import { describe, expect, it } from 'vitest';
import { binanceSeriesOf, binanceSymbol, parseKlineStreamName } from '../../src/domain/binance-symbols.js';
import { combinedStreamUrl, restBaseUrl, wsBaseUrl } from '../../src/exchange/binance/binance-endpoints.js';
import { configWith } from '../../src/main/config/load-config.js';

describe('series_id ↔ Binance names', () => {
  it('maps spot and futures series to the stream, REST symbol and interval', () => {
    expect(binanceSeriesOf('binance:futures:BTC/USDT:1m')).toEqual({
      seriesId: 'binance:futures:BTC/USDT:1m',
      market: 'futures',
      symbol: 'BTCUSDT',
      interval: '1m',
      stream: 'btcusdt@kline_1m',
      tfSeconds: 60,
    });
    expect(binanceSeriesOf('binance:futures:BTC/USDT:USDT:4h')).toMatchObject({ symbol: 'BTCUSDT', stream: 'btcusdt@kline_4h', tfSeconds: 14_400 });
    expect(binanceSeriesOf('binance:spot:ETH/BTC:1d')).toMatchObject({ market: 'spot', symbol: 'ETHBTC', stream: 'ethbtc@kline_1d' });
  });

  it('normalises symbols: settle currency dropped, dated futures suffixed, case folded', () => {
    expect(binanceSymbol('BTC/USDT')).toBe('BTCUSDT');
    expect(binanceSymbol('BTC/USDT:USDT')).toBe('BTCUSDT');
    expect(binanceSymbol('btc/usdt')).toBe('BTCUSDT');
    expect(binanceSymbol('BTCUSDT')).toBe('BTCUSDT');
    expect(binanceSymbol('BTC/USDT:USDT-240329')).toBe('BTCUSDT_240329');
  });

  it.each([
    ['okx exchange', 'okx:spot:BTC/USDT:1m', 'exchange'],
    ['unknown market', 'binance:margin:BTC/USDT:1m', 'market'],
    ['interval Binance lacks', 'binance:spot:BTC/USDT:7m', 'interval'],
    ['symbol that would break a URL', 'binance:spot:BTC/US DT:1m', 'symbol'],
    ['stream separator in symbol', 'binance:spot:BTC@USDT:1m', 'symbol'],
  ])('refuses %s with bad_request', (_name, id, word) => {
    expect(() => binanceSeriesOf(id)).toThrow(expect.objectContaining({ code: 'bad_request', message: expect.stringContaining(word) }));
  });

  it('reads a stream name back into Binance symbol and interval', () => {
    expect(parseKlineStreamName('btcusdt@kline_1m')).toEqual({ symbol: 'BTCUSDT', interval: '1m' });
    expect(parseKlineStreamName('btcusdt@depth')).toBeUndefined();
    expect(parseKlineStreamName('@kline_1m')).toBeUndefined();
  });

  it('picks base URLs from settings and builds combined-stream URLs', () => {
    const config = configWith({ binanceFuturesWsUrl: 'ws://127.0.0.1:9/market/', binanceSpotRestUrl: 'http://127.0.0.1:9' });
    expect(wsBaseUrl('futures', config)).toBe('ws://127.0.0.1:9/market');
    expect(wsBaseUrl('spot', config)).toBe('wss://stream.binance.com:9443');
    expect(restBaseUrl('spot', config)).toBe('http://127.0.0.1:9');
    expect(restBaseUrl('futures', config)).toBe('https://fapi.binance.com');
    expect(combinedStreamUrl('wss://x/market', ['a@kline_1m', 'b@kline_1m'])).toBe('wss://x/market/stream?streams=a@kline_1m/b@kline_1m');
  });
});
