import { describe, expect, it } from 'vitest';
import { candleAt, CANDLE_STRIDE } from '../../../src/domain/candle.js';
import { SeriesTail, type CachedRead } from '../../../src/main/hub/series-tail.js';
import { packed, timesOf } from '../../support/candles.js';

const times = (read: CachedRead | null) => (read ? timesOf(read.data.slice(read.from * CANDLE_STRIDE, read.to * CANDLE_STRIDE)) : null);

describe('SeriesTail', () => {
  it('a series with fewer candles than the capacity is complete: any read is answered', () => {
    const tail = new SeriesTail(5, packed([60, 120]), 120, 1);
    expect(times(tail.latest(10))).toEqual([60, 120]);
    expect(times(tail.after(0, 10))).toEqual([60, 120]);
  });

  it('a full window answers only what it can prove', () => {
    const tail = new SeriesTail(3, packed([180, 240, 300]), 300, 1);
    expect(tail.complete).toBe(false);
    expect(times(tail.latest(2))).toEqual([240, 300]);
    expect(tail.latest(4)).toBeNull();
    expect(times(tail.after(180, 10))).toEqual([240, 300]);
    expect(tail.after(120, 10)).toBeNull();
  });

  it('appends live candles, slides the window, and keeps the head', () => {
    const tail = new SeriesTail(3, packed([60]), 60, 1);
    for (let t = 120, seq = 2; t <= 1200; t += 60, seq++) tail.apply(packed([t]), t, seq);
    expect(times(tail.latest(3))).toEqual([1080, 1140, 1200]);
    expect(tail.head).toBe(1200);
    expect(tail.complete).toBe(false);
  });

  it('ignores commits it already saw (sequence numbers)', () => {
    const tail = new SeriesTail(5, packed([60]), 60, 7);
    tail.apply(packed([60], 9), 60, 7);
    expect(candleAt(tail.latest(1)!.data, 0).open).toBe(1);
    tail.apply(packed([60], 9), 60, 8);
    const read = tail.latest(1)!;
    expect(candleAt(read.data, read.from).open).toBe(9);
  });

  it('upserts inside the window and never claims candles older than an incomplete window', () => {
    const tail = new SeriesTail(3, packed([180, 240, 300]), 300, 1);
    tail.apply(new Float64Array([...packed([60], 5), ...packed([240], 5)]), 300, 2);
    expect(times(tail.latest(3))).toEqual([180, 240, 300]);
    const read = tail.latest(3)!;
    expect(candleAt(read.data, read.from + 1).open).toBe(5);
    expect(tail.after(0, 10)).toBeNull();
  });

  it('memoizes encoded bodies until the next change', () => {
    const tail = new SeriesTail(5, packed([60]), 60, 1);
    let encodes = 0;
    const encode = () => Buffer.from(String(++encodes));
    expect(tail.body('k', encode).toString()).toBe('1');
    expect(tail.body('k', encode).toString()).toBe('1');
    tail.apply(packed([120]), 120, 2);
    expect(tail.body('k', encode).toString()).toBe('2');
  });
});
