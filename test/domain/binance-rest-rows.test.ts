import { describe, expect, it } from 'vitest';
import { parseKlineRows } from '../../src/domain/binance-rest-rows.js';

const row = (t: number, close = '1.5') => [t, '1.0', '2.0', '0.5', close, '100', t + 59_999, '0', 3, '0', '0', '0'];

describe('parseKlineRows', () => {
  it('packs closed rows as [t seconds, o, h, l, c, v] and leaves out the bar still open', () => {
    const rows = parseKlineRows([row(60_000), row(120_000, '1.75'), row(180_000)], 180_000 + 30_000);
    expect(rows).toMatchObject({ count: 2, open: 1, malformed: 0, lastOpenMs: 180_000 });
    expect(Array.from(rows!.candles)).toEqual([60, 1, 2, 0.5, 1.5, 100, 120, 1, 2, 0.5, 1.75, 100]);
  });

  it('a bar whose close time has passed is closed', () => {
    expect(parseKlineRows([row(60_000)], 60_000 + 60_000)?.count).toBe(1);
    expect(parseKlineRows([row(60_000)], 60_000 + 59_999)?.count).toBe(0);
  });

  it('skips malformed rows and refuses a body that is not an array', () => {
    const rows = parseKlineRows([null, [1], row(60_500), [60_000, '1', 'x', '1', '1', '1', 119_999], row(120_000)], Number.MAX_SAFE_INTEGER);
    expect(rows).toMatchObject({ count: 1, malformed: 4 });
    expect(parseKlineRows({ code: -1121 }, 0)).toBeUndefined();
    expect(parseKlineRows([], 0)).toMatchObject({ count: 0, lastOpenMs: undefined });
  });
});
