import { describe, expect, it } from 'vitest';
import { candleAt, packCandles, parseCandle } from '../../src/domain/candle.js';
import { firstIndexAfter, mergeAscending, sortDedupeByTime } from '../../src/domain/candle-batch.js';
import { packed, timesOf } from '../support/candles.js';

describe('parseCandle', () => {
  it('accepts numbers and numeric strings (as trade_canvas and Binance send them)', () => {
    expect(parseCandle({ candle_time: '60', open: '1.5', high: 2, low: '0.5', close: 1, volume: '0' })).toEqual({
      candle_time: 60,
      open: 1.5,
      high: 2,
      low: 0.5,
      close: 1,
      volume: 0,
    });
  });

  it.each([
    [{ open: 1, high: 1, low: 1, close: 1, volume: 1 }, 'candle.candle_time'],
    [{ candle_time: 1.5, open: 1, high: 1, low: 1, close: 1, volume: 1 }, 'candle.candle_time'],
    [{ candle_time: 60, open: 'x', high: 1, low: 1, close: 1, volume: 1 }, 'candle.open'],
    [{ candle_time: 60, open: 1, high: null, low: 1, close: 1, volume: 1 }, 'candle.high'],
    [{ candle_time: 60, open: 1, high: 1, low: 1, close: 1 }, 'candle.volume'],
    [[1, 2], 'candle must be an object'],
  ])('rejects %j naming %s', (value, field) => {
    expect(() => parseCandle(value)).toThrowError(field);
  });
});

describe('packed candle helpers', () => {
  it('sortDedupeByTime sorts and keeps the last of equal times; untouched when already ascending', () => {
    const input = new Float64Array([...packed([300], 1), ...packed([100], 1), ...packed([300], 2)]);
    const out = sortDedupeByTime(input);
    expect(timesOf(out)).toEqual([100, 300]);
    expect(candleAt(out, 1).open).toBe(2);
    const ascending = packed([1, 2, 3]);
    expect(sortDedupeByTime(ascending)).toBe(ascending);
  });

  it('firstIndexAfter is a binary search over times', () => {
    const p = packed([60, 120, 180]);
    expect([0, 60, 119, 120, 180, 999].map((s) => firstIndexAfter(p, s))).toEqual([0, 1, 1, 2, 3, 3]);
  });

  it('mergeAscending interleaves and lets newer win', () => {
    const out = mergeAscending(packed([60, 180], 1), packed([120, 180], 2));
    expect(timesOf(out)).toEqual([60, 120, 180]);
    expect(candleAt(out, 2).open).toBe(2);
  });

  it('packCandles round-trips', () => {
    const c = { candle_time: 60, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 };
    expect(candleAt(packCandles([c]), 0)).toEqual(c);
  });
});
