import { describe, expect, it } from 'vitest';
import { intervalOf } from '../../../tools/fake-binance/intervals.js';
import { KlineGenerator, type Bar } from '../../../tools/fake-binance/kline-generator.js';

const STREAM = 'btcusdt@kline_1m';
/** On a minute boundary, so bar times are START ± whole minutes. */
const START = 1_699_999_980_000;

/** Ticks the stream every `tickMs` of virtual time for `bars` bars after START. */
function runLive(gen: KlineGenerator, bars: number, tickMs: number): void {
  for (let now = START; now < START + bars * 60_000; now += tickMs) gen.tick(now);
}

function spreadOf(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) / Math.abs(mean || 1);
}

const logReturns = (bars: readonly Bar[]) => bars.map((b) => Math.log(Number(b.c) / Number(b.o)));

describe('KlineGenerator seeds (the demo: history that reads like live)', () => {
  it('starts the path at the seeded price and tick size; backfilled bars of many trades come right before the forming one', () => {
    const gen = new KlineGenerator({ seed: 3 });
    gen.addStream(STREAM, START + 12_345, { startPrice: 64_000, priceDecimals: 2, backfillBars: 100, tradesPerMinute: 240 });
    const history = gen.history(STREAM);
    expect(history).toHaveLength(100);
    // The seeded price is the path's at 00:00 UTC of the origin day (the first `now` seen).
    const originDay = Math.floor(START / 86_400_000) * 86_400_000;
    expect(gen.klines('BTCUSDT', intervalOf('1m')!, { startTime: originDay, limit: 1, now: START })[0]!.o).toBe('64000.00');
    expect(history.at(-1)!.t).toBe(START - 60_000); // the bar before the one containing "now"
    history.forEach((bar, i) => {
      expect(bar.n).toBe(240);
      for (const price of [bar.o, bar.h, bar.l, bar.c]) expect(price).toMatch(/^\d+\.\d\d$/);
      expect(Number(bar.l)).toBeLessThanOrEqual(Math.min(Number(bar.o), Number(bar.c)));
      expect(Number(bar.h)).toBeGreaterThanOrEqual(Math.max(Number(bar.o), Number(bar.c)));
      if (i > 0) {
        expect(bar.t).toBe(history[i - 1]!.t + 60_000);
        expect(bar.o).toBe(history[i - 1]!.c);
        expect(bar.firstTrade).toBe(history[i - 1]!.lastTrade + 1);
      }
    });
    // Live goes on from the last backfilled close.
    const forming = gen.tick(START + 20_000).find((f) => !f.closed)!;
    expect(forming.openTimeMs).toBe(START);
    expect(JSON.parse(forming.data).k.o).toBe(history.at(-1)!.c);
  });

  it('a symbol is seeded once: a different seed for a path in use is an error, the same one is not', () => {
    const gen = new KlineGenerator({ seed: 3 });
    gen.addStream(STREAM, START, { startPrice: 100, priceDecimals: 2 });
    expect(gen.addStream('btcusdt@kline_5m', START, { startPrice: 100 })).toBe(true);
    expect(() => gen.addStream('btcusdt@kline_15m', START, { startPrice: 101 })).toThrow(/already exists/);
    expect(() => gen.seedSymbol('BTCUSDT', { priceDecimals: 4 }, START)).toThrow(/already exists/);
  });

  it('bars of K trades per minute spread like K trades of ±tradeStep, in history and live alike', () => {
    const gen = new KlineGenerator({ seed: 5, tradeStep: 0.0004 });
    gen.addStream(STREAM, START, { startPrice: 100, backfillBars: 400, tradesPerMinute: 60 });
    runLive(gen, 400, 1000);
    const rms = (r: number[]) => Math.sqrt(r.reduce((a, b) => a + b * b, 0) / r.length);
    // 60 uniform steps within ±0.04 %: 0.04 % · √(60/3) ≈ 0.18 % per bar.
    const expected = 0.0004 * Math.sqrt(20);
    const bars = gen.history(STREAM);
    for (const part of [bars.slice(0, 400), bars.slice(400)]) {
      expect(part.length).toBeGreaterThanOrEqual(399);
      expect(rms(logReturns(part))).toBeGreaterThan(expected * 0.85);
      expect(rms(logReturns(part))).toBeLessThan(expected * 1.15);
    }
  });

  it('by default a 1m bar moves like a calm crypto minute (σ 0.15 %), however many trades make it', () => {
    const rms = (r: number[]) => Math.sqrt(r.reduce((x, y) => x + y * y, 0) / r.length);
    for (const tradesPerMinute of [1, 12, 240]) {
      const gen = new KlineGenerator({ seed: 8 });
      gen.addStream(STREAM, START, { startPrice: 100, backfillBars: 600, tradesPerMinute });
      expect(rms(logReturns(gen.history(STREAM)))).toBeGreaterThan(0.0015 * 0.85);
      expect(rms(logReturns(gen.history(STREAM)))).toBeLessThan(0.0015 * 1.15);
    }
  });

  it('activitySpread varies volume bar to bar; without it, bars of many trades have nearly equal volume', () => {
    const volumes = (activitySpread: number) => {
      const gen = new KlineGenerator({ seed: 9, activitySpread });
      gen.addStream(STREAM, START, { backfillBars: 300, tradesPerMinute: 240 });
      return gen.history(STREAM).map((b) => Number(b.v));
    };
    expect(spreadOf(volumes(0))).toBeLessThan(0.1);
    expect(spreadOf(volumes(0.5))).toBeGreaterThan(0.3);
  });

  it('without seeds or the new options, the same seed still gives the same frames (other tests rely on it)', () => {
    const frames = (gen: KlineGenerator) => {
      gen.addStream(STREAM, START);
      const out: string[] = [];
      for (let now = START; now < START + 5 * 60_000; now += 7_000) out.push(...gen.tick(now).map((f) => f.data));
      return out;
    };
    expect(frames(new KlineGenerator({ seed: 4 }))).toEqual(frames(new KlineGenerator({ seed: 4, activitySpread: 0, minuteVolatility: 0.0015 })));
  });
});
