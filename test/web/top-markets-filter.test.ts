import { describe, expect, it } from 'vitest';
import { filterMarkets, formatChange, parseTopMarkets, topMarketsStreamUrl } from '../../web/sync/top-markets.js';

const item = (symbol: string, quote_volume: number, price_change_percent: number | null = 1) => ({
  exchange: 'binance',
  market: 'futures',
  symbol,
  symbol_id: symbol.replace('/', ''),
  base_asset: symbol.split('/')[0],
  quote_asset: symbol.split('/')[1],
  last_price: 1.5,
  quote_volume,
  price_change_percent,
});

describe('the page’s market list', () => {
  const rows = parseTopMarkets({
    items: [item('BTC/USDT', 9e9), item('ETH/USDT', 5e9), item('WETH/USDT', 1e9), item('ETHFI/USDT', 5e8, null), { symbol: 42 }],
  });

  it('parses items, skipping odd ones', () => {
    expect(rows.map((r) => r.symbol)).toEqual(['BTC/USDT', 'ETH/USDT', 'WETH/USDT', 'ETHFI/USDT']);
    expect(rows[3]).toEqual({ symbol: 'ETHFI/USDT', base: 'ETHFI', lastPrice: 1.5, quoteVolume: 5e8, changePct: null });
    expect(() => parseTopMarkets({ code: 'upstream_error' })).toThrow('market list without items');
  });

  it('filters by what is typed: base prefix first, then contains, each by volume; / and case do not matter', () => {
    expect(filterMarkets(rows, 'eth', 10).map((r) => r.symbol)).toEqual(['ETH/USDT', 'ETHFI/USDT', 'WETH/USDT']);
    expect(filterMarkets(rows, 'ETH/US', 10).map((r) => r.symbol)).toEqual(['ETH/USDT', 'WETH/USDT']);
    expect(filterMarkets(rows, 'ethusdt', 10).map((r) => r.symbol)).toEqual(['ETH/USDT', 'WETH/USDT']);
    expect(filterMarkets(rows, '', 2).map((r) => r.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(filterMarkets(rows, 'nope', 10)).toEqual([]);
  });

  it('formats the change and builds the stream URL', () => {
    expect([formatChange(1.234), formatChange(-0.5), formatChange(0), formatChange(null)]).toEqual(['+1.23%', '-0.50%', '0.00%', '—']);
    expect(topMarketsStreamUrl('', 'futures', 'USDT', 200, 5)).toBe(
      '/api/market/top_markets/stream?exchange=binance&market=futures&quote_asset=USDT&limit=200&interval_s=5',
    );
  });
});
