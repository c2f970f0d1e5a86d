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

  it('older pages go in front of the window (a first read: newest page committed first), growing the buffer as needed', () => {
    const tail = new SeriesTail(5000, new Float64Array(0), null, 0);
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => (from + i) * 60);
    tail.apply(packed(range(2001, 999)), 2999 * 60, 1); // the newest page
    tail.apply(packed(range(1001, 1000)), 2999 * 60, 2); // the older pages, newest first
    tail.apply(packed(range(1000, 1)), 2999 * 60, 3);
    expect(times(tail.latest(2000))).toEqual(range(1000, 2000));
    expect(tail.complete).toBe(true);
  });

  it('agrees with a plain sorted map through random appends, older pages, overlaps and upserts', () => {
    let seed = 5;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (const capacity of [3, 50, 300]) {
      const model = new Map<number, number>(); // time -> open
      const tail = new SeriesTail(capacity, new Float64Array(0), null, 0);
      let seq = 0;
      let lo = 100_000;
      let hi = 100_000;
      for (let step = 0; step < 400; step++) {
        const kind = random();
        const n = 1 + Math.floor(random() * capacity * 0.7);
        let from: number;
        if (kind < 0.4)
          from = hi + 1; // live appends
        else if (kind < 0.7)
          from = lo - n; // older pages
        else from = lo + Math.floor(random() * Math.max(1, hi - lo)); // overlaps, upserts
        const ts = Array.from({ length: n }, (_, i) => (from + i) * 60);
        const version = step + 2;
        const data = packed(ts, version);
        tail.apply(data, Math.max(hi, from + n - 1) * 60, ++seq);
        for (const t of ts) model.set(t, candleAt(data, 0).open);
        lo = Math.min(lo, from);
        hi = Math.max(hi, from + n - 1);
        // The window holds the newest stored candles, contiguous and equal to the model's.
        const read = tail.latest(tail.count)!;
        const got = times(read)!;
        const want = [...model.keys()].sort((a, b) => a - b).slice(-got.length);
        expect(got).toEqual(want);
        expect(got.length).toBe(Math.min(capacity, model.size));
        for (let i = read.from; i < read.to; i++) expect(candleAt(read.data, i).open).toBe(model.get(read.data[i * CANDLE_STRIDE]!));
      }
    }
  });

  it('a read handed out earlier keeps its candles while later commits change the window (no move in place)', () => {
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => (from + i) * 60);
    const tail = new SeriesTail(8, packed(range(100, 3)), 102 * 60, 1);
    const held: Array<{ read: CachedRead; times: number[] }> = [];
    const hold = () => {
      const read = tail.latest(tail.count)!;
      held.push({ read, times: times(read)! });
    };
    hold();
    tail.apply(packed(range(97, 3)), 102 * 60, 2); // older: in front (a new buffer: no room before)
    hold();
    tail.apply(packed(range(103, 2)), 104 * 60, 3); // appends
    hold();
    tail.apply(packed([99 * 60, 101 * 60], 7), 104 * 60, 4); // upserts inside: a merge
    hold();
    for (let i = 0, seq = 5; i < 30; i++, seq++) tail.apply(packed(range(105 + i, 1)), (105 + i) * 60, seq); // slides
    for (const h of held) expect(times(h.read)).toEqual(h.times);
  });
});
