import { describe, expect, it } from 'vitest';
import { binanceSeriesOf } from '../../../src/domain/binance-symbols.js';
import { BinanceRestError, type BinanceRestClient, type GapFillResult, type KlineRange } from '../../../src/exchange/binance/binance-rest.js';
import { GapFiller } from '../../../src/ingest/jobs/gap-filler.js';
import { setLogSink } from '../../../src/shared/log.js';

/** A REST client whose answers the test releases one by one. */
function stubRest() {
  const calls: { range: KlineRange; resolve: (r: GapFillResult) => void; page?: (candles: Float64Array) => void }[] = [];
  const client = {
    fetchClosed: (range: KlineRange, _signal: AbortSignal, page?: (candles: Float64Array) => void) =>
      new Promise<GapFillResult>((resolve) => calls.push({ range, resolve, page })),
  } as unknown as BinanceRestClient;
  return { client, calls };
}

const packed = (...times: number[]) => new Float64Array(times.flatMap((t) => [t, 1, 1, 1, 1, 1]));
const tick = () => new Promise((r) => setImmediate(r));
const A = binanceSeriesOf('binance:futures:BTC/USDT:1m');
const B = binanceSeriesOf('binance:spot:ETH/BTC:1m');
const C = binanceSeriesOf('binance:spot:SOL/USDT:1m');

function setup(concurrency = 2, maxBars?: number) {
  const { client, calls } = stubRest();
  const got: [string, number[]][] = [];
  const done: [string, boolean][] = [];
  const filler = new GapFiller({
    rest: { spot: client, futures: client },
    concurrency,
    maxBars,
    onCandles: (id, p) => got.push([id, Array.from(p.filter((_, i) => i % 6 === 0))]),
    onDone: (id, r) => done.push([id, r.ok]),
  });
  return { filler, calls, got, done };
}

describe('GapFiller', () => {
  it('merges overlapping and adjacent holes of a series and skips holes already being filled', async () => {
    const { filler, calls, got } = setup();
    filler.request(A, 600, 900);
    filler.request(A, 660, 720);
    expect(calls.map((c) => [c.range.fromTime, c.range.toTime])).toEqual([[600, 900]]);
    filler.request(A, 1200, 1260);
    filler.request(A, 960, 1140);
    calls[0]!.resolve({ ok: true, candles: packed(600, 660), requests: 1 });
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
    calls[0]!.resolve({ ok: true, candles: packed(60, 120, 180), requests: 2 });
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
    calls[1]!.resolve({ ok: true, candles: packed(), requests: 1 });
    await tick();
    expect(calls.map((c) => c.range.symbol)).toEqual(['BTCUSDT', 'ETHBTC', 'SOLUSDT']);
  });

  it('asks again for the rest after a transient error, keeping what arrived', async () => {
    const { filler, calls, got, done } = setup();
    setLogSink(() => {});
    filler.request(A, 60, 600);
    calls[0]!.resolve({ ok: false, error: new BinanceRestError('rate_limited', '429'), candles: packed(60, 120), requests: 2 });
    await tick();
    expect(got).toEqual([[A.seriesId, [60, 120]]]);
    expect(done).toEqual([[A.seriesId, false]]);
    expect(calls.map((c) => [c.range.fromTime, c.range.toTime])).toEqual([
      [60, 600],
      [180, 600],
    ]);
    calls[1]!.resolve({ ok: false, error: new BinanceRestError('http', '400'), candles: packed(), requests: 1 });
    await tick();
    expect(calls).toHaveLength(2);
    setLogSink(undefined);
  });

  it('discards a fill of a cancelled series and trims holes beyond maxBars to their newest part', async () => {
    const { filler, calls, got } = setup(2, 10);
    setLogSink(() => {});
    filler.request(A, 60, 60 * 100);
    expect([calls[0]!.range.fromTime, calls[0]!.range.toTime]).toEqual([60 * 91, 60 * 100]);
    filler.cancel(A.seriesId);
    calls[0]!.resolve({ ok: true, candles: packed(60 * 91), requests: 1 });
    await tick();
    expect(got).toEqual([]);
    expect(filler.pending).toBe(0);
    setLogSink(undefined);
  });
});
