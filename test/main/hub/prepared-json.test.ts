import { describe, expect, it } from 'vitest';
import { PreparedCandleJson } from '../../../src/main/hub/prepared-json.js';
import { candleObjectsJson } from '../../../src/protocol/candle-json.js';

const candles = (t: number) => Float64Array.of(t, 1, 2, 0.5, 1.5, 10, t + 60, 1.5, 2.5, 1, 2, 20);

describe('PreparedCandleJson', () => {
  it('holds the text of each run prepared for a series until its next read takes it, once', () => {
    const prepared = new PreparedCandleJson();
    prepared.prepare('a', candles(0));
    prepared.prepare('a', candles(120));
    prepared.prepare('b', new Float64Array(0)); // nothing to encode
    const taken = prepared.take('a')!;
    expect(taken.map((f) => Buffer.from(f.bytes).toString('latin1'))).toEqual([candleObjectsJson(candles(0), 0, 2), candleObjectsJson(candles(120), 0, 2)]);
    expect(prepared.take('a')).toBeUndefined();
    expect(prepared.take('b')).toBeUndefined();
    expect(prepared.size).toBe(0);
  });

  it('keeps text it is given (the worker wrote it from the exchange digits) as it is', () => {
    const prepared = new PreparedCandleJson();
    const given = Buffer.from(candleObjectsJson(candles(0), 0, 2), 'latin1');
    prepared.prepare('a', candles(0), given);
    expect(prepared.take('a')![0]!.bytes).toBe(given);
  });

  it('keeps at most its bound of series; the one prepared longest ago goes first', () => {
    const prepared = new PreparedCandleJson(2);
    prepared.prepare('a', candles(0));
    prepared.prepare('b', candles(0));
    prepared.prepare('a', candles(120)); // a is the newest again
    prepared.prepare('c', candles(0));
    expect(prepared.size).toBe(2);
    expect(prepared.take('b')).toBeUndefined();
    expect(prepared.take('a')).toHaveLength(2);
    expect(prepared.take('c')).toHaveLength(1);
  });
});
