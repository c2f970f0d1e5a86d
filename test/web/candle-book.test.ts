import { describe, expect, it } from 'vitest';
import { CandleBook } from '../../web/sync/candle-book.js';
import { candle, candlesAt } from './fake-browser.js';

function times(book: CandleBook): number[] {
  return book.bars().map((c) => c.candle_time);
}

describe('CandleBook', () => {
  it('keeps closed candles sorted and unique by candle_time whatever order they arrive in', () => {
    const book = new CandleBook();
    book.mergeClosed(candlesAt([300, 60, 180]));
    book.mergeClosed([candle(120), candle(180, 5), candle(240)]);
    expect(times(book)).toEqual([60, 120, 180, 240, 300]);
    expect(book.bars()[2]).toEqual(candle(180, 5)); // last write wins
    expect(book.lastClosedTime).toBe(300);
  });

  it('inserts a refilled older candle in order instead of dropping it', () => {
    const book = new CandleBook();
    book.mergeClosed(candlesAt([60, 120, 300]));
    expect(book.mergeClosed(candlesAt([180, 240]))).toEqual({ kind: 'bulk' });
    expect(times(book)).toEqual([60, 120, 180, 240, 300]);
  });

  it('replaces the forming bar with the closed candle of the same time', () => {
    const book = new CandleBook();
    book.mergeClosed(candlesAt([60]));
    book.setForming(candle(120, 1));
    expect(book.length).toBe(2);
    expect(book.mergeClosed([candle(120, 2)])).toEqual({ kind: 'tail', bars: [candle(120, 2)] });
    expect(book.bars()).toEqual([candle(60), candle(120, 2)]);
  });

  it('ignores forming candles at or before the last closed time, and ones older than the current forming', () => {
    const book = new CandleBook();
    book.mergeClosed(candlesAt([60, 120]));
    expect(book.setForming(candle(120, 9))).toEqual({ kind: 'none' });
    expect(book.setForming(candle(60, 9))).toEqual({ kind: 'none' });
    book.setForming(candle(240, 1));
    expect(book.setForming(candle(180, 1))).toEqual({ kind: 'none' });
    expect(times(book)).toEqual([60, 120, 240]);
  });

  it('asks for update() only where lightweight-charts allows it, setData() otherwise', () => {
    const book = new CandleBook();
    expect(book.mergeClosed(candlesAt([60]))).toEqual({ kind: 'tail', bars: [candle(60)] });
    expect(book.mergeClosed([candle(60, 3)]).kind).toBe('tail'); // same time: replaces the last bar
    expect(book.setForming(candle(120)).kind).toBe('tail');
    expect(book.setForming(candle(120, 4)).kind).toBe('tail');
    // A newer forming bar while 120 never closed: the stale bar must leave the screen.
    expect(book.setForming(candle(180)).kind).toBe('bulk');
    // A closed candle after the forming bar's time also leaves a stale bar behind.
    expect(book.mergeClosed(candlesAt([240])).kind).toBe('bulk');
    expect(times(book)).toEqual([60, 240]);
    // Many bars at once: one setData beats a run of update() calls.
    expect(book.mergeClosed(candlesAt([300, 360, 420, 480, 540, 600, 660, 720, 780])).kind).toBe('bulk');
    expect(book.mergeClosed([]).kind).toBe('none');
  });

  it('reports the forming bar as the last bar and counts it', () => {
    const book = new CandleBook();
    expect(book.last()).toBeNull();
    expect(book.lastClosedTime).toBeNull();
    book.mergeClosed(candlesAt([60]));
    book.setForming(candle(120, 8));
    expect(book.last()).toEqual(candle(120, 8));
    expect(book.length).toBe(2);
    expect(book.lastClosedTime).toBe(60);
    book.clear();
    expect(book.length).toBe(0);
  });
});

describe('prependOlder (scroll-back)', () => {
  it('puts an older page before the bars held and counts what it added', () => {
    const book = new CandleBook();
    book.mergeClosed(candlesAt([180, 240]));
    expect(book.prependOlder(candlesAt([60, 120]))).toBe(2);
    expect(book.bars().map((c) => c.candle_time)).toEqual([60, 120, 180, 240]);
    expect(book.firstClosedTime).toBe(60);
  });

  it('merges a page overlapping what is held (no duplicate bar)', () => {
    const book = new CandleBook();
    book.mergeClosed(candlesAt([180, 240]));
    expect(book.prependOlder(candlesAt([120, 180]))).toBe(1);
    expect(book.bars().map((c) => c.candle_time)).toEqual([120, 180, 240]);
    expect(book.prependOlder([])).toBe(0);
  });
});
