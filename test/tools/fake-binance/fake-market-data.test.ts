import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { FakeMarketData } from '../../../tools/fake-binance/fake-market-data.js';
import { KlineGenerator } from '../../../tools/fake-binance/kline-generator.js';

/** The fake's 24h ticker and exchangeInfo endpoints: Binance's shapes, weights and failures. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

async function get(fake: FakeBinance, path: string) {
  const res = await fetch(`${fake.restUrl()}${path}`);
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('fake Binance market data', () => {
  let fake: FakeBinance;
  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 1000, tickMs: 20, generator: { seed: 5, backfillBars: 30 }, streams: { futures: ['ethusdt@kline_1m'] } });
  });
  afterAll(() => fake.close());

  it('exchangeInfo lists symbols with status, base and quote; futures with contract types', async () => {
    const spot = (await get(fake, '/api/v3/exchangeInfo')).body;
    expect(spot.rateLimits[0]).toEqual({ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 });
    expect(spot.symbols.find((s: any) => s.symbol === 'SOLBTC')).toMatchObject({ status: 'TRADING', baseAsset: 'SOL', quoteAsset: 'BTC' });
    expect(spot.symbols.find((s: any) => s.symbol === 'LUNAUSDT').status).toBe('BREAK');
    const futures = (await get(fake, '/fapi/v1/exchangeInfo')).body;
    expect(futures.symbols.find((s: any) => s.symbol === 'BTCUSDT')).toMatchObject({ contractType: 'PERPETUAL', status: 'TRADING', pair: 'BTCUSDT' });
    expect(futures.symbols.find((s: any) => s.symbol === 'BTCUSDT_261225')).toMatchObject({ contractType: 'CURRENT_QUARTER', baseAsset: 'BTC' });
  });

  it('ticker/24hr: every listed symbol, decimals as strings, times in ms', async () => {
    const info = (await get(fake, '/fapi/v1/exchangeInfo')).body;
    const rows = (await get(fake, '/fapi/v1/ticker/24hr')).body as any[];
    expect(rows.map((r) => r.symbol).sort()).toEqual(info.symbols.map((s: any) => s.symbol).sort());
    for (const r of rows) {
      for (const key of ['priceChange', 'priceChangePercent', 'lastPrice', 'openPrice', 'highPrice', 'lowPrice', 'volume', 'quoteVolume']) {
        expect(r[key], `${r.symbol} ${key}`).toMatch(DECIMAL);
      }
      expect(+r.lowPrice).toBeLessThanOrEqual(+r.lastPrice);
      expect(+r.highPrice).toBeGreaterThanOrEqual(+r.lastPrice);
      expect(r.closeTime - r.openTime).toBe(86_400_000);
      expect(Number.isInteger(r.count)).toBe(true);
    }
  });

  it("a ticker is the symbol's price path: its last price is the close of the kline open now, on REST and live", async () => {
    fake.pause();
    const row = (await get(fake, '/fapi/v1/ticker/24hr?symbol=ETHUSDT')).body;
    const klines = (await get(fake, '/fapi/v1/klines?symbol=ETHUSDT&interval=1m&limit=1')).body as string[][];
    expect(row.lastPrice).toBe(klines[0]![4]);
    // The same path as the 1h bars: the day's high is at least every hourly high of the last 23 full hours.
    const hours = (await get(fake, '/fapi/v1/klines?symbol=ETHUSDT&interval=1h&limit=24')).body as string[][];
    for (const h of hours.slice(1)) expect(+row.highPrice).toBeGreaterThanOrEqual(+h[2]!);
    fake.resume();
  });

  it('deterministic from the seed and virtual time: paused, two answers agree; time moves them', async () => {
    fake.pause();
    const a = (await get(fake, '/api/v3/ticker/24hr')).body;
    expect((await get(fake, '/api/v3/ticker/24hr')).body).toEqual(a);
    fake.advance(60_000); // a minute of trading
    const c = (await get(fake, '/api/v3/ticker/24hr')).body;
    expect(c.find((r: any) => r.symbol === 'SOLUSDT').lastPrice).not.toBe(a.find((r: any) => r.symbol === 'SOLUSDT').lastPrice);
    fake.resume();
  });

  it('the same seed and time give the same tickers; another seed or time, others', () => {
    const T = 1_700_000_000_000;
    const at = (seed: number, t: number) => {
      const generator = (market: 'spot' | 'futures') => new KlineGenerator({ seed, market, originMs: T });
      return new FakeMarketData({ spot: generator('spot'), futures: generator('futures') }, () => t, undefined as never).tickers('spot');
    };
    expect(at(5, T)).toEqual(at(5, T));
    const last = (rows: Record<string, unknown>[]) => rows.map((r) => r.lastPrice);
    expect(last(at(6, T))).not.toEqual(last(at(5, T)));
    expect(last(at(5, T + 600_000))).not.toEqual(last(at(5, T)));
  });

  it('charges Binance weights on the same per-IP budget as klines (spot 80 + 20, futures 40 + 1)', async () => {
    const own = await FakeBinance.start();
    const used = async (path: string) => Number((await get(own, path)).headers.get('x-mbx-used-weight-1m'));
    expect(await used('/api/v3/ticker/24hr')).toBe(80);
    expect(await used('/api/v3/exchangeInfo')).toBe(100);
    expect(await used('/api/v3/ticker/24hr?symbol=BTCUSDT')).toBe(102);
    expect(await used('/fapi/v1/ticker/24hr')).toBe(40);
    expect(await used('/fapi/v1/exchangeInfo')).toBe(41);
    await own.close();
  });

  it('an unknown symbol is Binance error -1121', async () => {
    expect(await get(fake, '/api/v3/ticker/24hr?symbol=NOPEUSDT')).toMatchObject({ status: 400, body: { code: -1121, msg: 'Invalid symbol.' } });
  });

  it('failures on demand (method and control route): 5xx, 429 with Retry-After, per endpoint', async () => {
    fake.marketData.failNext(1, 503);
    expect((await get(fake, '/api/v3/exchangeInfo')).status).toBe(503);
    expect((await get(fake, '/api/v3/exchangeInfo')).status).toBe(200);
    const control = await fetch(`${fake.restUrl()}/__control/market-fail?count=2&status=429&retryAfter=7&endpoint=ticker24h`, { method: 'POST' });
    expect(await control.json()).toEqual({ ok: true });
    expect((await get(fake, '/api/v3/exchangeInfo')).status).toBe(200);
    const limited = await get(fake, '/fapi/v1/ticker/24hr');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    expect((await get(fake, '/api/v3/ticker/24hr')).status).toBe(429);
    expect((await get(fake, '/api/v3/ticker/24hr')).status).toBe(200);
    expect(fake.marketData.log.slice(-6).map((c) => [c.market, c.endpoint, c.status])).toEqual([
      ['spot', 'exchangeInfo', 503],
      ['spot', 'exchangeInfo', 200],
      ['spot', 'exchangeInfo', 200],
      ['futures', 'ticker24h', 429],
      ['spot', 'ticker24h', 429],
      ['spot', 'ticker24h', 200],
    ]);
  });
});
