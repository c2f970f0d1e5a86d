import { describe, expect, it } from 'vitest';
import { candleAt } from '../../src/domain/candle.js';
import { planDrain, validateBatch } from '../../src/writer/drain-plan.js';
import { packed, timesOf } from '../support/candles.js';

const batch = (series: string[], parts: Float64Array[], publish: boolean) => ({
  series,
  counts: parts.map((p) => p.length / 6),
  data: new Float64Array(parts.flatMap((p) => [...p])),
  publish,
});

describe('planDrain', () => {
  it('orders series by id and candles by time, last arrival wins on equal times', () => {
    const writes = planDrain([batch(['b', 'a'], [packed([300, 100]), packed([60])], true), batch(['b'], [packed([100], 9)], true)]);
    expect(writes.map((w) => w.seriesId)).toEqual(['a', 'b']);
    expect(timesOf(writes[1]!.all)).toEqual([100, 300]);
    expect(candleAt(writes[1]!.all, 0).open).toBe(9);
    expect(writes[1]!.published).toBe(writes[1]!.all);
    expect(writes[1]!.silent.length).toBe(0);
  });

  it('merges a series that has several segments in one batch (the ingest batcher sends runs in arrival order)', () => {
    const writes = planDrain([batch(['a', 'b', 'a'], [packed([120, 60]), packed([60]), packed([180, 120], 7)], true)]);
    expect(writes.map((w) => w.seriesId)).toEqual(['a', 'b']);
    expect(timesOf(writes[0]!.all)).toEqual([60, 120, 180]);
    expect(candleAt(writes[0]!.all, 1).open).toBe(7);
  });

  it('splits candles by their winning publish flag when a drain mixes silent and published batches', () => {
    const writes = planDrain([batch(['s'], [packed([240, 300])], false), batch(['s'], [packed([300, 360], 5)], true)]);
    expect(timesOf(writes[0]!.all)).toEqual([240, 300, 360]);
    expect(timesOf(writes[0]!.silent)).toEqual([240]);
    expect(timesOf(writes[0]!.published)).toEqual([300, 360]);
    expect(candleAt(writes[0]!.published, 0).open).toBe(5);
  });

  it('never aliases the incoming batch buffers (they are transferred onward)', () => {
    const input = batch(['s'], [packed([60, 120])], true);
    const [w] = planDrain([input]);
    expect(w!.all.buffer).not.toBe(input.data.buffer);
  });

  it('refuses a batch whose candle times are not whole seconds (they could never be stored as int8)', () => {
    const msg = (data: Float64Array) => ({ t: 'closed' as const, seq: 1, series: ['s'], counts: [data.length / 6], data, publish: true });
    expect(validateBatch(msg(packed([60, 120])))).toBeNull();
    expect(validateBatch(msg(packed([60, 120.5])))).toBe('batch candle_time 120.5 is not a whole number of seconds ≥ 0');
    expect(validateBatch(msg(packed([-60])))).toMatch(/^batch candle_time -60 /);
    expect(validateBatch(msg(packed([NaN])))).toMatch(/^batch candle_time NaN /);
  });
});
