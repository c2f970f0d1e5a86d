import { describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { PendingBySeries } from '../../src/ingest/pending-by-series.js';

const push = (p: PendingBySeries, series: string, t: number) => p.push(series, new Float64Array([0, 0, t, t + 0.1, t + 0.2, t - 0.1, t + 0.05, t * 2]), 2);
const rows = (data: Float64Array) =>
  Array.from({ length: data.length / CANDLE_STRIDE }, (_, i) => Array.from(data.subarray(i * CANDLE_STRIDE, (i + 1) * CANDLE_STRIDE)));

describe('PendingBySeries', () => {
  it('keeps every value and the order through growth, partial takes and compaction', () => {
    const p = new PendingBySeries();
    const expected: number[] = [];
    let next = 1;
    // Push 7, take 3, push 5, take 4 ... : lanes grow, shift their start and compact in turn.
    const out: number[] = [];
    for (let round = 0; round < 40; round++) {
      for (let k = 0; k < 7 + (round % 5); k++) {
        push(p, 's', next);
        expected.push(next++);
      }
      const taken = p.take(3 + (round % 7));
      for (const row of rows(taken.data)) {
        expect(row).toEqual([row[0], row[0]! + 0.1, row[0]! + 0.2, row[0]! - 0.1, row[0]! + 0.05, row[0]! * 2]);
        out.push(row[0]!);
      }
    }
    while (p.count > 0) out.push(...rows(p.take(50).data).map((r) => r[0]!));
    expect(out).toEqual(expected);
  });

  it('takes series in the order of their oldest waiting candle, one segment each', () => {
    const p = new PendingBySeries();
    push(p, 'x', 60);
    push(p, 'y', 60);
    push(p, 'x', 120);
    push(p, 'z', 60);
    const taken = p.take(10);
    expect([taken.series, taken.counts]).toEqual([
      ['x', 'y', 'z'],
      [2, 1, 1],
    ]);
    expect(rows(taken.data).map((r) => r[0])).toEqual([60, 120, 60, 60]);
    expect(p.count).toBe(0);
  });

  it('keeps a retained series between candles and drops the others once emptied', () => {
    const p = new PendingBySeries();
    p.retain('job');
    push(p, 'job', 60);
    push(p, 'stopped', 60);
    expect(p.series).toBe(2);
    p.take(10);
    expect(p.series).toBe(1);
    // Released with candles waiting: they still go out, then the lane goes.
    push(p, 'job', 120);
    p.release('job');
    expect(p.series).toBe(1);
    expect(p.take(10).series).toEqual(['job']);
    expect(p.series).toBe(0);
  });
});
