import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinanceRestClient } from '../../../src/exchange/binance/binance-rest.js';
import { fetchExchangeInfo, fetchTickers24h } from '../../../src/exchange/binance/market-data-rest.js';
import { WeightBudget } from '../../../src/exchange/binance/weight-budget.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';

/** The market-list endpoints through the one REST client, against the fake exchange. */
let fake: FakeBinance;
beforeAll(async () => {
  setLogLevel('silent');
  fake = await FakeBinance.start();
  fake.pause();
});
afterAll(async () => {
  await fake.close();
  setLogLevel('info');
});

describe('market data over the REST client', () => {
  it('tickers and symbols of both markets, charged at their weights', async () => {
    for (const market of ['spot', 'futures'] as const) {
      const budget = new WeightBudget({ weightPerWindow: 6000, share: 1 });
      const client = new BinanceRestClient({ market, baseUrl: fake.restUrl(), budget });
      const symbols = await fetchExchangeInfo(client, market);
      const tickers = await fetchTickers24h(client, market);
      expect(symbols.get('ETHUSDT')).toMatchObject({ base: 'ETH', quote: 'USDT', status: 'TRADING' });
      expect(tickers.map((t) => t.symbol).sort()).toEqual([...symbols.keys()].sort());
      expect(budget.stats().granted).toBe(market === 'spot' ? 20 + 80 : 1 + 40);
    }
  });

  it('waitOutRateLimits=false: a 429 fails the call at once, and later calls too until Retry-After, without asking Binance', async () => {
    const client = new BinanceRestClient({ market: 'spot', baseUrl: fake.restUrl(), waitOutRateLimits: false });
    fake.marketData.failNext(1, 429, 30);
    const before = fake.marketData.log.length;
    await expect(fetchTickers24h(client, 'spot')).rejects.toMatchObject({ code: 'rate_limited', status: 429 });
    await expect(fetchExchangeInfo(client, 'spot')).rejects.toMatchObject({ code: 'rate_limited' });
    expect(fake.marketData.log.length).toBe(before + 1);
  });

  it('a 200 answer of the wrong shape is bad_response', async () => {
    // The fake's stats route answers a JSON object where a list is due.
    const client = new BinanceRestClient({ market: 'spot', baseUrl: `${fake.restUrl()}/__control/stats?path=`, maxRetries: 0 });
    await expect(fetchTickers24h(client, 'spot')).rejects.toMatchObject({ code: 'bad_response', message: '/api/v3/ticker/24hr answer is not a list' });
    await expect(fetchExchangeInfo(client, 'spot')).rejects.toMatchObject({ code: 'bad_response' });
  });
});
