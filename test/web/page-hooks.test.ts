import { describe, expect, it } from 'vitest';
import { readPageParams, urlWithSeries, DEFAULT_SERIES_ID } from '../../web/app/page-params.js';
import { marketSocketUrl } from '../../web/app/browser-transport.js';
import { hookAttributes } from '../../web/view/test-hooks.js';
import { composeSeriesId } from '../../web/view/series-picker.js';
import { priceDecimals } from '../../web/view/price-format.js';
import { candle } from './fake-browser.js';

describe('page parameters', () => {
  it('reads series_id and mode, defaulting to BTC/USDT 1m futures and the history path', () => {
    expect(readPageParams('')).toEqual({ seriesId: DEFAULT_SERIES_ID, mode: 'history' });
    expect(DEFAULT_SERIES_ID).toBe('binance:futures:BTC/USDT:1m');
    expect(readPageParams('?series_id=binance%3Aspot%3AETH%2FUSDT%3A5m&mode=snapshot')).toEqual({
      seriesId: 'binance:spot:ETH/USDT:5m',
      mode: 'snapshot',
    });
    expect(readPageParams('?series_id=binance:spot:ETH/USDT:5m&mode=other').mode).toBe('history');
  });

  it('writes series_id into the URL, keeping the other parameters readable', () => {
    expect(urlWithSeries('http://h/live?mode=snapshot&series_id=x', 'binance:futures:BTC/USDT:USDT:1h')).toBe(
      '/live?mode=snapshot&series_id=binance:futures:BTC/USDT:USDT:1h',
    );
    const url = urlWithSeries('http://h/live', 'binance:spot:A&B/USDT:1m');
    expect(readPageParams(url.slice(url.indexOf('?'))).seriesId).toBe('binance:spot:A&B/USDT:1m');
  });

  it('derives the socket URL from the page origin', () => {
    expect(marketSocketUrl({ protocol: 'http:', host: '127.0.0.1:8000' })).toBe('ws://127.0.0.1:8000/ws/market');
    expect(marketSocketUrl({ protocol: 'https:', host: 'charts.example' })).toBe('wss://charts.example/ws/market');
  });

  it('composes a series_id from the picker, upper-casing the symbol', () => {
    expect(composeSeriesId({ exchange: 'binance', market: 'spot', symbol: ' eth/usdt ', timeframe: '4h' })).toBe('binance:spot:ETH/USDT:4h');
  });
});

describe('test hooks on [data-testid="chart-view"]', () => {
  it('formats numbers as JavaScript does and leaves absent values empty', () => {
    const last = { candle_time: 28800, open: 10.0, high: 10010, low: 9990.5, close: 10001, volume: 1 };
    expect(hookAttributes({ seriesId: 'binance:futures:BTC/USDT:4h', length: 3, last, lastWsCandleTime: 28800, status: 'ready' })).toEqual({
      'data-series-id': 'binance:futures:BTC/USDT:4h',
      'data-candles-len': '3',
      'data-last-time': '28800',
      'data-last-open': '10',
      'data-last-high': '10010',
      'data-last-low': '9990.5',
      'data-last-close': '10001',
      'data-last-ws-candle-time': '28800',
      'data-live-load-status': 'ready',
    });
    expect(hookAttributes({ seriesId: null, length: 0, last: null, lastWsCandleTime: null, status: 'loading' })).toMatchObject({
      'data-series-id': '',
      'data-candles-len': '0',
      'data-last-time': '',
      'data-last-close': '',
      'data-last-ws-candle-time': '',
      'data-live-load-status': 'loading',
    });
  });
});

describe('price precision', () => {
  it('shows as many decimals as the prices carry, between 2 and 8', () => {
    expect(priceDecimals([candle(60, 97000)])).toBe(2);
    expect(priceDecimals([{ ...candle(60), close: 0.16234 }])).toBe(5);
    expect(priceDecimals([{ ...candle(60), low: 0.000012345678 }])).toBe(8);
    expect(priceDecimals([])).toBe(2);
  });
});
