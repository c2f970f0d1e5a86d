import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, startTestGateway, type TestGateway } from '../support/gateway-harness.js';
import { fakeBinanceSettings } from '../support/live-ingest.js';

/**
 * `GET /api/market/top_markets` (contract §5) against the real gateway and the fake exchange over
 * real sockets: values, errors, the force limit, the shared cache. The stream: market-list-sse.test.ts.
 */

/** What the list must be, computed here from the fake's own answers (the test's join, not the gateway's). */
async function expectedItems(fake: FakeBinance, market: 'spot' | 'futures', quote: string) {
  const prefix = market === 'spot' ? '/api/v3' : '/fapi/v1';
  const info = (await (await fetch(`${fake.restUrl()}${prefix}/exchangeInfo`)).json()) as { symbols: any[] };
  const rows = (await (await fetch(`${fake.restUrl()}${prefix}/ticker/24hr`)).json()) as any[];
  const listed = new Map(
    info.symbols
      .filter((s) => s.status === 'TRADING' && s.quoteAsset === quote && (market === 'spot' || s.contractType === 'PERPETUAL'))
      .map((s) => [s.symbol, s]),
  );
  return rows
    .filter((r) => listed.has(r.symbol))
    .map((r) => {
      const s = listed.get(r.symbol);
      return {
        exchange: 'binance',
        market,
        symbol: `${s.baseAsset}/${s.quoteAsset}`,
        symbol_id: r.symbol,
        base_asset: s.baseAsset,
        quote_asset: s.quoteAsset,
        last_price: Number(r.lastPrice),
        quote_volume: Number(r.quoteVolume),
        price_change_percent: Number(r.priceChangePercent),
      };
    })
    .sort((a, b) => b.quote_volume - a.quote_volume);
}

const list = (gw: TestGateway, query: string) => http(gw.url, 'GET', `/api/market/top_markets?${query}`);

describe('market list: values and the shared cache', () => {
  let fake: FakeBinance;
  let gw: TestGateway;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 1000, generator: { backfillBars: 10 }, streams: { futures: ['solusdt@kline_1m'] } });
    fake.pause(); // tickers stand still: the gateway's answer and the fake's must agree exactly
    gw = await startTestGateway({ ...fakeBinanceSettings(fake), binanceTickerTtlS: 10 }, { clock });
  });
  afterAll(async () => {
    await gw?.dispose();
    await fake?.close();
  });

  it("futures USDT: the fake's perpetuals trading in USDT, joined with their tickers, by quote volume", async () => {
    const expected = await expectedItems(fake, 'futures', 'USDT');
    const res = await list(gw, 'exchange=binance&market=futures&quote_asset=USDT&limit=200');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      exchange: 'binance',
      market: 'futures',
      quote_asset: 'USDT',
      limit: 200,
      generated_at_ms: clock.now(),
      cached: false,
      items: expected,
    });
    // A symbol's price is its chart's: the close of its open 1m kline. Delivery contracts and non-trading symbols are left out.
    const [openBar] = (await (await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=SOLUSDT&interval=1m&limit=1`)).json()) as string[][];
    expect(res.body.items.find((i: any) => i.symbol_id === 'SOLUSDT').last_price).toBe(+openBar![4]!);
    expect(res.body.items.map((i: any) => i.symbol_id)).not.toContain('BTCUSDT_261225');
    expect(res.body.items.map((i: any) => i.symbol_id)).not.toContain('MATICUSDT');
  });

  it('spot, quote asset in any case, limit: the first N of the same ranking', async () => {
    const expected = await expectedItems(fake, 'spot', 'BTC');
    const res = await list(gw, 'market=spot&quote_asset=btc&limit=3');
    expect(res.body).toMatchObject({ market: 'spot', quote_asset: 'BTC', limit: 3, items: expected.slice(0, 3) });
    expect((await list(gw, 'market=spot')).body).toMatchObject({ quote_asset: 'USDT', limit: 20 });
  });

  it('one upstream call serves every client within the TTL; cached says so', async () => {
    const before = fake.marketData.calls('ticker24h', 'futures');
    const answers = await Promise.all(Array.from({ length: 50 }, () => list(gw, 'market=futures&limit=5')));
    expect(answers.every((a) => a.status === 200 && a.body.cached === true)).toBe(true);
    expect(fake.marketData.calls('ticker24h', 'futures')).toBe(before);
    clock.advance(10_000);
    const [a, b] = await Promise.all([list(gw, 'market=futures&limit=5'), list(gw, 'market=futures&limit=5')]);
    expect([a.body.cached, b.body.cached]).toEqual([false, false]);
    expect(fake.marketData.calls('ticker24h', 'futures')).toBe(before + 1);
  });

  it('force=1 refetches; again within 2 s from the same client and market is 429 rate_limited', async () => {
    const before = fake.marketData.calls('ticker24h', 'spot');
    expect((await list(gw, 'market=spot&force=1')).body.cached).toBe(false);
    expect(fake.marketData.calls('ticker24h', 'spot')).toBe(before + 1);
    const again = await list(gw, 'market=spot&force=true');
    expect(again.status).toBe(429);
    expect(again.body).toEqual({ code: 'rate_limited', message: 'rate_limited' });
    expect((await list(gw, 'market=futures&force=1')).status).toBe(200); // another market: its own limit
    expect((await list(gw, 'market=spot')).status).toBe(200); // without force: never limited
    clock.advance(2_000);
    expect((await list(gw, 'market=spot&force=1')).status).toBe(200);
    expect(fake.marketData.calls('ticker24h', 'spot')).toBe(before + 2);
  });

  it('knownSymbol: listed and trading on that market, in any spelling a series uses', async () => {
    const known = (market: 'spot' | 'futures', symbol: string) => gw.markets.symbols.knownSymbol(market, symbol);
    expect(await known('futures', 'BTC/USDT')).toBe(true);
    expect(await known('futures', 'BTC/USDT:USDT')).toBe(true);
    expect(await known('futures', 'BTC/USDT:USDT-261225')).toBe(true); // the dated contract is listed
    expect(await known('spot', 'ETHBTC')).toBe(true);
    expect(await known('spot', 'LUNA/USDT')).toBe(false); // listed, not trading
    expect(await known('spot', 'MADEUP/USDT')).toBe(false);
    expect(await known('spot', 'bad@symbol')).toBe(false);
  });

  it('bad queries are 400 bad_request with the reason', async () => {
    const cases: Array<[string, string]> = [
      ['exchange=okx&market=spot', 'unsupported exchange'],
      ['quote_asset=USDT', 'missing market'],
      ['market=margin', 'invalid market (spot or futures)'],
      ['market=spot&limit=0', 'invalid limit'],
      ['market=spot&limit=201', 'invalid limit'],
      ['market=spot&quote_asset=US%20DT', 'invalid quote_asset'],
      ['market=spot&force=maybe', 'invalid force'],
    ];
    for (const [query, message] of cases) expect((await list(gw, query)).body, query).toEqual({ code: 'bad_request', message });
  });
});

describe('market list: upstream failures', () => {
  let fake: FakeBinance;
  let gw: TestGateway | undefined;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    fake = await FakeBinance.start();
  });
  afterEach(async () => {
    await gw?.dispose();
    gw = undefined;
    fake.marketData.failNext(0);
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('5xx with nothing cached: 502 upstream_error:<why>', async () => {
    gw = await startTestGateway(fakeBinanceSettings(fake), { clock });
    fake.marketData.failNext(10, 500, 0, 'ticker24h');
    const res = await list(gw, 'market=futures');
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('upstream_error');
    expect(res.body.message).toMatch(/^upstream_error:HTTP 500: /);
  });

  it('5xx with an earlier answer: the last answer is served (cached), then fresh ones once it recovers', async () => {
    gw = await startTestGateway(fakeBinanceSettings(fake), { clock });
    const first = await list(gw, 'market=futures&limit=3');
    expect(first.status).toBe(200);
    fake.marketData.failNext(10, 503, 0, 'ticker24h');
    clock.advance(10_000);
    const stale = await list(gw, 'market=futures&limit=3');
    expect(stale.status).toBe(200);
    expect(stale.body).toMatchObject({ cached: true, items: first.body.items });
    fake.marketData.failNext(0);
    clock.advance(10_000);
    expect((await list(gw, 'market=futures&limit=3')).body.cached).toBe(false);
  });

  it('knownSymbol while no symbol list can be had: rejects with upstream_error (the caller decides)', async () => {
    gw = await startTestGateway(fakeBinanceSettings(fake), { clock });
    fake.marketData.failNext(10, 500, 0, 'exchangeInfo');
    await expect(gw.markets.symbols.knownSymbol('spot', 'BTC/USDT')).rejects.toMatchObject({ code: 'upstream_error', status: 502 });
  });

  it('a 429 from Binance: 502 at once, and no call to Binance again before its Retry-After', async () => {
    gw = await startTestGateway(fakeBinanceSettings(fake), { clock });
    fake.marketData.failNext(1, 429, 60, 'ticker24h');
    const before = fake.marketData.calls('ticker24h', 'spot');
    const res = await list(gw, 'market=spot');
    expect(res.status).toBe(502);
    expect(res.body.message).toMatch(/^upstream_error:429 rate limited, retry after 60000 ms/);
    const again = await list(gw, 'market=spot');
    expect(again.status).toBe(502);
    expect(again.body.message).toMatch(/^upstream_error:rate limited, retry after \d+ ms/);
    expect(fake.marketData.calls('ticker24h', 'spot')).toBe(before + 1);
  });
});
