import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../../src/domain/candle.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { BinanceRestClient, retryAfterMs } from '../../../src/exchange/binance/binance-rest.js';
import { WeightBudget } from '../../../src/exchange/binance/weight-budget.js';
import { setLogLevel } from '../../../src/shared/log.js';

let fake: FakeBinance;
/** The fake's virtual time decides which bars are closed; sleeps and budgets use real time. */
const exchangeNow = () => fake.now();
const FUT = 'btcusdt@kline_1m';
const SPOT = 'ethbtc@kline_1m';

beforeAll(async () => {
  setLogLevel('silent');
  fake = await FakeBinance.start({ generator: { backfillBars: 4500 }, streams: { futures: [FUT], spot: [SPOT] } });
  fake.pause();
});
afterAll(async () => {
  await fake.close();
  setLogLevel('info');
});

function client(market: 'spot' | 'futures', budget?: WeightBudget) {
  return new BinanceRestClient({ market, baseUrl: fake.restUrl(), exchangeNow, budget });
}

/** Packed candles of the fake's history bars i..j-1. */
function expected(market: 'spot' | 'futures', stream: string, i: number, j: number): number[] {
  return fake.generators[market]
    .history(stream)
    .slice(i, j)
    .flatMap((b) => [b.t / 1000, +b.o, +b.h, +b.l, +b.c, +b.v]);
}

const newRequests = (before: number) => fake.rest.log.slice(before);

describe('BinanceRestClient against the fake exchange', () => {
  it('pages a futures range at 1500 rows, asking only for what is left on the last page', async () => {
    const history = fake.generators.futures.history(FUT);
    const before = fake.rest.log.length;
    const result = await client('futures').fetchClosed({
      symbol: 'BTCUSDT',
      interval: '1m',
      tfSeconds: 60,
      fromTime: history[50]!.t / 1000,
      toTime: history[3249]!.t / 1000,
    });
    expect(result.ok).toBe(true);
    expect(newRequests(before).map((r) => [r.market, r.params.limit, r.status])).toEqual([
      ['futures', '1500', 200],
      ['futures', '1500', 200],
      ['futures', '200', 200],
    ]);
    expect(Array.from(result.candles)).toEqual(expected('futures', FUT, 50, 3250));
  });

  it('pages a spot range at 1000 rows', async () => {
    const history = fake.generators.spot.history(SPOT);
    const before = fake.rest.log.length;
    const result = await client('spot').fetchClosed({
      symbol: 'ETHBTC',
      interval: '1m',
      tfSeconds: 60,
      fromTime: history[0]!.t / 1000,
      toTime: history[3199]!.t / 1000,
    });
    expect(newRequests(before).map((r) => r.params.limit)).toEqual(['1000', '1000', '1000', '200']);
    expect(result.candles.length / CANDLE_STRIDE).toBe(3200);
    expect(Array.from(result.candles)).toEqual(expected('spot', SPOT, 0, 3200));
  });

  it('returns only closed rows: the still-open bar Binance appends is dropped', async () => {
    const history = fake.generators.futures.history(FUT);
    const forming = fake.generators.futures.formingBar(FUT)!;
    const result = await client('futures').fetchClosed({
      symbol: 'BTCUSDT',
      interval: '1m',
      tfSeconds: 60,
      fromTime: history.at(-5)!.t / 1000,
      toTime: forming.t / 1000 + 600,
    });
    expect(result.ok).toBe(true);
    expect(Array.from(result.candles)).toEqual(expected('futures', FUT, history.length - 5, history.length));
  });

  it('an exchange-side hole is data, not an error', async () => {
    // The day before the exchange's oldest bar: it has nothing there.
    const first = fake.generators.futures.historyStartMs()! / 1000;
    const result = await client('futures').fetchClosed({ symbol: 'BTCUSDT', interval: '1m', tfSeconds: 60, fromTime: first - 86_400, toTime: first - 60 });
    expect(result).toMatchObject({ ok: true, requests: 1 });
    expect(result.candles).toHaveLength(0);
  });

  it('honours Retry-After on 429: waits, then succeeds without provoking a 418', async () => {
    const history = fake.generators.futures.history(FUT);
    fake.rest.failNext(1, 429, 1);
    const before = fake.rest.log.length;
    const started = Date.now();
    const result = await client('futures').fetchClosed({
      symbol: 'BTCUSDT',
      interval: '1m',
      tfSeconds: 60,
      fromTime: history[0]!.t / 1000,
      toTime: history[9]!.t / 1000,
    });
    const elapsed = Date.now() - started;
    expect(result.ok).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(newRequests(before).map((r) => r.status)).toEqual([429, 200]);
    expect(newRequests(before)[1]!.at - newRequests(before)[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('stops on 418 and keeps every series off the IP until Retry-After has passed', async () => {
    const history = fake.generators.spot.history(SPOT);
    const budget = new WeightBudget({ weightPerWindow: 6000 });
    const range = { symbol: 'ETHBTC', interval: '1m', tfSeconds: 60, fromTime: history[0]!.t / 1000, toTime: history[4]!.t / 1000 };
    fake.rest.failNext(1, 418, 1);
    const before = fake.rest.log.length;
    const banned = await client('spot', budget).fetchClosed(range);
    expect(banned.ok).toBe(false);
    expect(!banned.ok && banned.error.code).toBe('ip_banned');
    // Another series sharing the budget waits out the ban instead of calling (which would extend it).
    const other = await client('spot', budget).fetchClosed(range);
    expect(other.ok).toBe(true);
    const log = newRequests(before);
    expect(log.map((r) => r.status)).toEqual([418, 200]);
    expect(log[1]!.at - log[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('waits for the shared weight budget when it is exhausted and reads X-MBX-USED-WEIGHT-1M', async () => {
    // A fresh exchange: its used-weight header starts from zero, like a quiet IP. Its per-minute
    // weight window runs on a clock held inside one minute: a real minute rolling over during the
    // test would reset the header's count.
    const own = await FakeBinance.start({ generator: { backfillBars: 10 }, streams: { spot: [SPOT] }, rest: { wallClock: () => 1_700_000_030_000 } });
    own.pause();
    const history = own.generators.spot.history(SPOT);
    // 4 weight per 2 s, spot klines weigh 2: two requests at once, the third ~1 s later.
    const budget = new WeightBudget({ weightPerWindow: 4, share: 1, windowMs: 2_000 });
    const range = (i: number) => ({ symbol: 'ETHBTC', interval: '1m', tfSeconds: 60, fromTime: history[i]!.t / 1000, toTime: history[i]!.t / 1000 });
    const c = new BinanceRestClient({ market: 'spot', baseUrl: own.restUrl(), exchangeNow: () => own.now(), budget });
    const started = Date.now();
    await c.fetchClosed(range(0));
    await c.fetchClosed(range(1));
    // The first two fit the budget: no wait (counted, not timed: this machine may be loaded).
    expect(c.stats().budget).toMatchObject({ waits: 0 });
    const third = await c.fetchClosed(range(2));
    expect(third.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(c.stats().budget).toMatchObject({ waits: 1, serverUsed: 6 });
    await own.close();
  });

  it('reports network errors as a typed result after its retries', async () => {
    const c = new BinanceRestClient({ market: 'spot', baseUrl: 'http://127.0.0.1:9', exchangeNow, maxRetries: 1 });
    const result = await c.fetchClosed({ symbol: 'ETHBTC', interval: '1m', tfSeconds: 60, fromTime: 0, toTime: 60 });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('network');
    expect(c.stats()).toMatchObject({ requests: 2, retries: 1, errors: 1 });
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });
});
