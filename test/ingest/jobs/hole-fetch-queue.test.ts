import { describe, expect, it } from 'vitest';
import { binanceSeriesOf } from '../../../src/domain/binance-symbols.js';
import { BinanceRestError, type BinanceRestClient, type GapFillResult, type KlineRange } from '../../../src/exchange/binance/binance-rest.js';
import { HoleFetchQueue, MAX_CONCURRENT_FILLS } from '../../../src/ingest/jobs/hole-fetch-queue.js';
import { setLogSink } from '../../../src/shared/log.js';

/**
 * A REST client whose answers the test releases one by one, with a weight budget of `tokens`
 * (each fill's first request takes 1 at once, as BinanceRestClient's does; Infinity = plenty).
 */
function stubRest(budget = { tokens: Infinity }) {
  const calls: { range: KlineRange; resolve: (r: GapFillResult) => void; page?: (candles: Float64Array) => void }[] = [];
  const client = {
    canStartNow: () => budget.tokens >= 1,
    fetchClosed: (range: KlineRange, _signal: AbortSignal, page?: (candles: Float64Array) => void) => {
      budget.tokens--;
      return new Promise<GapFillResult>((resolve) => calls.push({ range, resolve, page }));
    },
  } as unknown as BinanceRestClient;
  return { client, calls, budget };
}

const packed = (...times: number[]) => new Float64Array(times.flatMap((t) => [t, 1, 1, 1, 1, 1]));
const tick = () => new Promise((r) => setImmediate(r));
const A = binanceSeriesOf('binance:futures:BTC/USDT:1m');
const B = binanceSeriesOf('binance:spot:ETH/BTC:1m');
const C = binanceSeriesOf('binance:spot:SOL/USDT:1m');

/** `concurrency` null: the filler's default bound. */
function setup(concurrency: number | null = 2, maxBars?: number, budget?: { tokens: number }) {
  const { client, calls } = stubRest(budget);
  const got: [string, number[]][] = [];
  const done: [string, boolean][] = [];
  const filler = new HoleFetchQueue({
    rest: { spot: client, futures: client },
    concurrency: concurrency ?? undefined,
    maxBars,
    onCandles: (id, p) => got.push([id, Array.from(p.filter((_, i) => i % 6 === 0))]),
    onDone: (id, r) => done.push([id, r.ok]),
  });
  return { filler, calls, got, done };
}

describe('HoleFetchQueue', () => {
  it('merges overlapping and adjacent holes of a series and skips holes already being filled', async () => {
    const { filler, calls, got } = setup();
    filler.request(A, 600, 900);
    filler.request(A, 660, 720);
    expect(calls.map((c) => [c.range.fromTime, c.range.toTime])).toEqual([[600, 900]]);
    filler.request(A, 1200, 1260);
    filler.request(A, 960, 1140);
    calls[0]!.resolve({ ok: true, candles: packed(600, 660), requests: 1, weight: 2 * 1 });
    await tick();
    expect(calls.map((c) => [c.range.fromTime, c.range.toTime])).toEqual([
      [600, 900],
      [960, 1260],
    ]);
    expect(got).toEqual([[A.seriesId, [600, 660]]]);
  });

  it('hands pages on as they arrive, and at the end only what no page carried', async () => {
    const { filler, calls, got } = setup();
    filler.request(A, 60, 600);
    calls[0]!.page!(packed(60, 120));
    expect(got).toEqual([[A.seriesId, [60, 120]]]);
    calls[0]!.resolve({ ok: true, candles: packed(60, 120, 180), requests: 2, weight: 2 * 2 });
    await tick();
    expect(got).toEqual([
      [A.seriesId, [60, 120]],
      [A.seriesId, [180]],
    ]);
  });

  it('fills at most `concurrency` series at once, one range at a time per series', async () => {
    const { filler, calls } = setup(2);
    filler.request(A, 60, 120);
    filler.request(B, 60, 120);
    filler.request(C, 60, 120);
    expect(calls.map((c) => c.range.symbol)).toEqual(['BTCUSDT', 'ETHBTC']);
    calls[1]!.resolve({ ok: true, candles: packed(), requests: 1, weight: 2 * 1 });
    await tick();
    expect(calls.map((c) => c.range.symbol)).toEqual(['BTCUSDT', 'ETHBTC', 'SOLUSDT']);
  });

  it('asks again for the rest after a transient error, keeping what arrived', async () => {
    const { filler, calls, got, done } = setup();
    setLogSink(() => {});
    filler.request(A, 60, 600);
    calls[0]!.resolve({ ok: false, error: new BinanceRestError('rate_limited', '429'), candles: packed(60, 120), requests: 2, weight: 2 * 2 });
    await tick();
    expect(got).toEqual([[A.seriesId, [60, 120]]]);
    expect(done).toEqual([[A.seriesId, false]]);
    expect(calls.map((c) => [c.range.fromTime, c.range.toTime])).toEqual([
      [60, 600],
      [180, 600],
    ]);
    calls[1]!.resolve({ ok: false, error: new BinanceRestError('http', '400'), candles: packed(), requests: 1, weight: 2 * 1 });
    await tick();
    expect(calls).toHaveLength(2);
    setLogSink(undefined);
  });

  it('without a bound of its own, fills as many series at once as the budget pays for, up to MAX_CONCURRENT_FILLS', async () => {
    const { filler, calls } = setup(null);
    const series = Array.from({ length: 50 }, (_, i) => binanceSeriesOf(`binance:futures:S${i}/USDT:1m`));
    for (const s of series) filler.request(s, 60, 600);
    // Issue 15: 50 holes with a 4 s exchange took 109 s at 2 at a time; now 2 round trips.
    expect(calls).toHaveLength(MAX_CONCURRENT_FILLS);
    calls[0]!.resolve({ ok: true, candles: packed(60), requests: 1, weight: 2 * 1 });
    await tick();
    expect(calls).toHaveLength(MAX_CONCURRENT_FILLS + 1);
  });

  it('a short budget limits fills at once, but one per market always runs (the budget paces it)', async () => {
    const budget = { tokens: 3 };
    const { filler, calls } = setup(null, undefined, budget);
    for (let i = 0; i < 10; i++) filler.request(binanceSeriesOf(`binance:futures:F${i}/USDT:1m`), 60, 600);
    expect(calls).toHaveLength(3);
    budget.tokens = -5; // spent, and more: a 429 emptied it
    filler.request(C, 60, 600);
    // The first spot fill starts anyway; the futures queue waits for its market's budget.
    expect(calls.map((c) => c.range.symbol)).toEqual(['F0USDT', 'F1USDT', 'F2USDT', 'SOLUSDT']);
    calls[0]!.resolve({ ok: true, candles: packed(), requests: 1, weight: 2 * 1 });
    await tick();
    expect(calls).toHaveLength(4);
    budget.tokens = 2;
    calls[1]!.resolve({ ok: true, candles: packed(), requests: 1, weight: 2 * 1 });
    await tick();
    expect(calls.map((c) => c.range.symbol).slice(4)).toEqual(['F3USDT', 'F4USDT']);
  });

  it("rate limits and bans use no try (the budget waits them out); the exchange's 5xx does", async () => {
    const { filler, calls, done } = setup();
    setLogSink(() => {});
    filler.request(A, 60, 600);
    for (let i = 0; i < 6; i++) {
      const error = i % 2 === 0 ? new BinanceRestError('rate_limited', '429', 429) : new BinanceRestError('ip_banned', '418', 418);
      calls[i]!.resolve({ ok: false, error, candles: packed(), requests: 1, weight: 2 * 1 });
      await tick();
    }
    expect(calls).toHaveLength(7);
    for (let i = 6; i < 9; i++) {
      calls[i]!.resolve({ ok: false, error: new BinanceRestError('http', 'HTTP 503', 503), candles: packed(), requests: 4, weight: 2 * 4 });
      await tick();
    }
    // Three tries after 5xx, then the hole is left as it is (the job releases what it held).
    expect(calls).toHaveLength(9);
    expect(done.at(-1)).toEqual([A.seriesId, false]);
    expect(filler.pending).toBe(0);
    setLogSink(undefined);
  });

  it('a hole found while another is in flight joins its retry: tries stay three for both, not three each', async () => {
    const { filler, calls, done } = setup();
    setLogSink(() => {});
    const fail = () => ({ ok: false as const, error: new BinanceRestError('http', 'HTTP 500', 500), candles: packed(), requests: 4, weight: 2 * 4 });
    // A reconnect inside a bar's close grace: the forming frame shows 60..600 missing, the grace's end one more bar.
    filler.request(A, 60, 600);
    filler.request(A, 660, 660);
    for (let i = 0; i < 3; i++) {
      calls[i]!.resolve(fail());
      await tick();
    }
    expect(calls.map((c) => [c.range.fromTime, c.range.toTime])).toEqual([
      [60, 600],
      [60, 660],
      [60, 660],
    ]);
    expect(filler.pending).toBe(0);
    expect(done.at(-1)).toEqual([A.seriesId, false]);
    setLogSink(undefined);
  });

  it('discards a fill of a cancelled series and trims holes beyond maxBars to their newest part', async () => {
    const { filler, calls, got } = setup(2, 10);
    setLogSink(() => {});
    filler.request(A, 60, 60 * 100);
    expect([calls[0]!.range.fromTime, calls[0]!.range.toTime]).toEqual([60 * 91, 60 * 100]);
    filler.cancel(A.seriesId);
    calls[0]!.resolve({ ok: true, candles: packed(60 * 91), requests: 1, weight: 2 * 1 });
    await tick();
    expect(got).toEqual([]);
    expect(filler.pending).toBe(0);
    setLogSink(undefined);
  });
});
