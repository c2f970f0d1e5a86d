import { describe, expect, it } from 'vitest';
import { holeBars, holeBefore, lastMissingBar } from '../../src/domain/gap-policy.js';

describe('gap policy', () => {
  it('finds the hole before a candle past prev + tf, in the gap message terms', () => {
    const hole = holeBefore(600, 900, 60)!;
    expect(hole).toEqual({ expectedNext: 660, actual: 900 });
    expect(holeBars(hole, 60)).toBe(4);
    expect(lastMissingBar(hole, 60)).toBe(840);
  });

  it('has no hole for the next bar, a repeat, or without a reference point', () => {
    expect(holeBefore(600, 660, 60)).toBeNull();
    expect(holeBefore(600, 600, 60)).toBeNull();
    expect(holeBefore(null, 900, 60)).toBeNull();
    expect(holeBefore(undefined, 900, 60)).toBeNull();
  });

  it('announces an unaligned jump (contract §3) but counts no whole bar missing in it', () => {
    const hole = holeBefore(600, 690, 60)!;
    expect(hole).toEqual({ expectedNext: 660, actual: 690 });
    expect(holeBars(hole, 60)).toBe(0);
  });
});
