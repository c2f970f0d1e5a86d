import { describe, expect, it } from 'vitest';
import { listable, parseExchangeInfo, parseTickers24h } from '../../src/domain/binance-market-data.js';

describe('Binance market-data answers', () => {
  it('exchangeInfo: symbols by name; rows without a symbol, base or quote are skipped', () => {
    const parsed = parseExchangeInfo({
      symbols: [
        { symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT', contractType: 'PERPETUAL' },
        { symbol: 'ETHBTC', status: 'BREAK', baseAsset: 'ETH', quoteAsset: 'BTC' },
        { symbol: '', baseAsset: 'X', quoteAsset: 'Y' },
        { symbol: 'NOQUOTE', baseAsset: 'N' },
        'junk',
      ],
    });
    expect([...parsed!.values()]).toEqual([
      { symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', status: 'TRADING', contractType: 'PERPETUAL' },
      { symbol: 'ETHBTC', base: 'ETH', quote: 'BTC', status: 'BREAK', contractType: '' },
    ]);
    expect(parseExchangeInfo({ code: -1, msg: 'x' })).toBeUndefined();
    expect(parseExchangeInfo([])).toBeUndefined();
  });

  it('ticker/24hr: decimal strings become numbers, unparseable ones null', () => {
    expect(
      parseTickers24h([
        { symbol: 'BTCUSDT', lastPrice: '65000.10', quoteVolume: '123.5', priceChangePercent: '-1.250' },
        { symbol: 'ODD', lastPrice: 'n/a', quoteVolume: '', priceChangePercent: null },
        { lastPrice: '1' },
      ]),
    ).toEqual([
      { symbol: 'BTCUSDT', lastPrice: 65000.1, quoteVolume: 123.5, priceChangePercent: -1.25 },
      { symbol: 'ODD', lastPrice: null, quoteVolume: null, priceChangePercent: null },
    ]);
    expect(parseTickers24h({ symbol: 'BTCUSDT' })).toBeUndefined();
  });

  it('listable: trading, and on futures a perpetual', () => {
    const s = { symbol: 'X', base: 'X', quote: 'USDT', status: 'TRADING', contractType: '' };
    expect(listable(s, 'spot')).toBe(true);
    expect(listable({ ...s, status: 'BREAK' }, 'spot')).toBe(false);
    expect(listable({ ...s, contractType: 'PERPETUAL' }, 'futures')).toBe(true);
    expect(listable({ ...s, contractType: 'CURRENT_QUARTER' }, 'futures')).toBe(false);
  });
});
