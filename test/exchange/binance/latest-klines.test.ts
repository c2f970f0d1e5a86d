import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinanceRestClient } from '../../../src/exchange/binance/binance-rest.js';
import { fetchLatestClosed } from '../../../src/exchange/binance/latest-klines.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { fakeRestRows } from '../../support/fake-rest-rows.js';

/**
 * The newest page of closed bars, its forming row dropped, against the fake (paused: nothing
 * moves). Its REST history reaches 200 days back; a second fake with none before today plays a
 * young symbol.
 */
let fake: FakeBinance;
let young: FakeBinance;
const SPOT = 'ethbtc@kline_15m';
const FUT = 'btcusdt@kline_1h';
const SHORT = 'newusdt@kline_1m';

beforeAll(async () => {
  setLogLevel('silent');
  fake = await FakeBinance.start({ autoCreate: false, historyDays: 200, generator: { backfillBars: 2500 }, streams: { spot: [SPOT], futures: [FUT] } });
  fake.pause();
  // Its clock starts half an hour into a day with no history before it: 30 minutes of bars.
  young = await FakeBinance.start({ historyDays: 0, startTimeMs: Date.UTC(2026, 0, 1, 0, 30), streams: { spot: [SHORT] } });
  young.pause();
});
afterAll(async () => {
  await fake.close();
  await young.close();
  setLogLevel('info');
});

const client = (market: 'spot' | 'futures') => new BinanceRestClient({ market, baseUrl: fake.restUrl(), maxRetries: 0 });
const rows = (market: 'spot' | 'futures', stream: string, n: number) =>
  fake.generators[market]
    .history(stream)
    .slice(-n)
    .flatMap((b) => [b.t / 1000, +b.o, +b.h, +b.l, +b.c, +b.v]);
const asked = (before: number) => fake.rest.log.slice(before).map((e) => [e.params.limit, e.params.endTime !== undefined, e.params.startTime !== undefined]);

describe('fetchLatestClosed', () => {
  const pages = [
    { market: 'spot', symbol: 'ETHBTC', interval: '15m', tfSeconds: 900, stream: SPOT, count: 999, limit: '1000', weight: 2 },
    { market: 'futures', symbol: 'BTCUSDT', interval: '1h', tfSeconds: 3600, stream: FUT, count: 1499, limit: '1500', weight: 10 },
    // More bars than a page holds: still one page (the older pages are the caller's: older-pages.ts).
    { market: 'spot', symbol: 'ETHBTC', interval: '15m', tfSeconds: 900, stream: SPOT, count: 2000, limit: '1000', weight: 2 },
  ] as const;
  it.each(pages)('$market, $count wanted: one page of $limit, its forming row dropped, weight $weight', async (p) => {
    const before = fake.rest.log.length;
    const { symbol, interval, tfSeconds, count } = p;
    const got = await fetchLatestClosed(client(p.market), p.market, { symbol, interval, tfSeconds, count, after: null });
    expect(got.ok).toBe(true);
    expect(Array.from(got.candles)).toEqual(rows(p.market, p.stream, Number(p.limit) - 1));
    expect(got.currentOpen).toBe(fake.generators[p.market].formingBar(p.stream)!.t / 1000);
    expect(asked(before)).toEqual([[p.limit, false, false]]);
    expect([got.requests, got.weight]).toEqual([1, p.weight]);
  });

  it('stops at what the store has: only bars after `after`, one page', async () => {
    const history = fake.generators.spot.history(SPOT);
    const before = fake.rest.log.length;
    const got = await fetchLatestClosed(client('spot'), 'spot', {
      symbol: 'ETHBTC',
      interval: '15m',
      tfSeconds: 900,
      count: 2000,
      after: history.at(-41)!.t / 1000,
    });
    expect(Array.from(got.candles)).toEqual(rows('spot', SPOT, 40));
    expect(fake.rest.log.length - before).toBe(1);
  });

  it('a young symbol: what the exchange has, without asking for older pages', async () => {
    const got = await fetchLatestClosed(new BinanceRestClient({ market: 'spot', baseUrl: young.restUrl() }), 'spot', {
      symbol: 'NEWUSDT',
      interval: '1m',
      tfSeconds: 60,
      count: 2000,
      after: null,
    });
    const forming = young.generators.spot.formingBar(SHORT)!.t / 1000;
    const all = await fakeRestRows(young, 'spot', 'NEWUSDT', '1m', 0, forming - 60);
    expect(all).toHaveLength(30);
    expect(Array.from(got.candles)).toEqual(all.flat());
    expect(young.rest.log.map((e) => e.params.limit).slice(0, 1)).toEqual(['1000']);
    expect(got.requests).toBe(1);
  });

  it('an unknown symbol stops at once with unknown_symbol (Binance -1121), not retried', async () => {
    const before = fake.rest.log.length;
    const got = await fetchLatestClosed(new BinanceRestClient({ market: 'spot', baseUrl: fake.restUrl() }), 'spot', {
      symbol: 'NOPEUSDT',
      interval: '15m',
      tfSeconds: 900,
      count: 2000,
      after: null,
    });
    expect(got.ok).toBe(false);
    expect(!got.ok && got.error.code).toBe('unknown_symbol');
    expect(got.candles.length).toBe(0);
    expect(fake.rest.log.slice(before).map((e) => e.status)).toEqual([400]);
  });
});
