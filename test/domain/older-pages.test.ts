import { describe, expect, it } from 'vitest';
import { needsOlderPages, newestPageCount, olderPages } from '../../src/domain/older-pages.js';

const TF = 60;

describe('tail coverage paging (older-pages.ts)', () => {
  it('the newest page: a full one (it also carries the forming bar), or the count when that is less', () => {
    expect(newestPageCount(50, 1000)).toBe(50);
    expect(newestPageCount(999, 1000)).toBe(999);
    expect(newestPageCount(2000, 1000)).toBe(999);
    expect(newestPageCount(2000, 1500)).toBe(1499);
  });

  it('older pages: newest first, contiguous, even, at most a page each', () => {
    const oldest = 100_000 * TF;
    expect(olderPages(oldest, 1334, null, 1000, TF)).toEqual([
      { from: oldest - 667 * TF, to: oldest - TF },
      { from: oldest - 1334 * TF, to: oldest - 668 * TF },
    ]);
    expect(olderPages(oldest, 1001, null, 1000, TF).map((p) => (p.to - p.from) / TF + 1)).toEqual([501, 500]);
    expect(olderPages(oldest, 1000, null, 1000, TF).map((p) => (p.to - p.from) / TF + 1)).toEqual([1000]);
    expect(olderPages(oldest, 0, null, 1000, TF)).toEqual([]);
  });

  it('older pages stop after the stored head and at time 0', () => {
    const oldest = 100_000 * TF;
    expect(olderPages(oldest, 1334, oldest - 535 * TF, 1000, TF)).toEqual([{ from: oldest - 534 * TF, to: oldest - TF }]);
    expect(olderPages(oldest, 1334, oldest - TF, 1000, TF)).toEqual([]);
    expect(olderPages(10 * TF, 1334, null, 1000, TF)).toEqual([{ from: 0, to: 9 * TF }]);
  });

  it('older pages are wanted only after a full newest page that did not reach the stored head', () => {
    expect(needsOlderPages(666, 666, 5000, null)).toBe(true);
    expect(needsOlderPages(665, 666, 5000, null)).toBe(false); // the exchange has no more
    expect(needsOlderPages(666, 666, 5000, 4940)).toBe(true);
    expect(needsOlderPages(666, 666, 5000, 5000)).toBe(false); // reached what is stored
    expect(needsOlderPages(0, 0, null, null)).toBe(false);
  });
});
