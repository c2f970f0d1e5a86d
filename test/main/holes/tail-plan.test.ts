import { describe, expect, it } from 'vitest';
import { missingRanges, tailWindowStart } from '../../../src/main/holes/tail-plan.js';

const m = (n: number) => n * 60;

describe('tail plan', () => {
  it('the window is the count bars ending at the last closed bar', () => {
    expect(tailWindowStart(m(100), 10, 60)).toBe(m(91));
  });

  it('a complete store lacks nothing; an empty one lacks the whole span', () => {
    const all = Array.from({ length: 10 }, (_, i) => m(91 + i));
    expect(missingRanges(all, m(91), m(100), 60, 8)).toEqual([]);
    expect(missingRanges([], m(91), m(100), 60, 8)).toEqual([[m(91), m(100)]]);
  });

  it('finds the holes before, inside and after the stored run, ignoring bars outside the span', () => {
    const stored = [m(80), m(93), m(94), m(97), m(98), m(120)];
    expect(missingRanges(stored, m(91), m(100), 60, 8)).toEqual([
      [m(91), m(92)],
      [m(95), m(96)],
      [m(99), m(100)],
    ]);
  });

  it('beyond maxRanges holes asks for one range from the first missing bar to the last', () => {
    const stored = [m(92), m(94), m(96), m(98)];
    expect(missingRanges(stored, m(91), m(99), 60, 3)).toEqual([[m(91), m(99)]]);
  });
});
