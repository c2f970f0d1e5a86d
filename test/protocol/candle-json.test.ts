import { describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { candleJson, candlesArrayJson, candlesArrayPieces, candleObjectsJson, type CandleJsonFragment } from '../../src/protocol/candle-json.js';

/** Packed candles with prices of every shape JSON numbers take (integers, long fractions, tiny, huge). */
function packed(n: number, seed = 1): Float64Array {
  const out = new Float64Array(n * CANDLE_STRIDE);
  let x = seed;
  const next = () => ((x = (x * 48271) % 2147483647) / 2147483647) * 10 ** Math.floor((x % 13) - 6);
  for (let i = 0; i < n; i++) {
    out.set([1_700_000_000 + i * 60, next(), next(), next(), Math.round(next() * 100) / 100, i % 7 === 0 ? 0 : next()], i * CANDLE_STRIDE);
  }
  return out;
}
const objects = (p: Float64Array, from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => {
    const b = (from + k) * CANDLE_STRIDE;
    return { candle_time: p[b], open: p[b + 1], high: p[b + 2], low: p[b + 3], close: p[b + 4], volume: p[b + 5] };
  });
const fragment = (p: Float64Array, from: number, to: number): CandleJsonFragment => {
  const candles = p.slice(from * CANDLE_STRIDE, to * CANDLE_STRIDE);
  return { candles, bytes: Buffer.from(candleObjectsJson(candles, 0, to - from), 'latin1') };
};

describe('candle JSON', () => {
  const p = packed(300);

  it('is JSON.stringify of contract-ordered candle objects, byte for byte', () => {
    expect(candlesArrayJson(p, 0, 300)).toBe(JSON.stringify(objects(p, 0, 300)));
    expect(candlesArrayJson(p, 17, 18)).toBe(JSON.stringify(objects(p, 17, 18)));
    expect(candlesArrayJson(p, 5, 5)).toBe('[]');
    expect(candleJson(objects(p, 3, 4)[0] as never)).toBe(JSON.stringify(objects(p, 3, 4)[0]));
  });

  it('fragments made earlier give the same text wherever they match a run of the read', () => {
    const want = candlesArrayJson(p, 10, 290);
    // At the start, in the middle, at the end, two at once, one covering the whole read.
    for (const fragments of [
      [fragment(p, 10, 100)],
      [fragment(p, 120, 200)],
      [fragment(p, 200, 290)],
      [fragment(p, 200, 290), fragment(p, 10, 199)],
      [fragment(p, 10, 290)],
    ]) {
      expect(candlesArrayJson(p, 10, 290, fragments)).toBe(want);
      // An HTTP body joins the pieces as bytes.
      const pieces = candlesArrayPieces(p, 10, 290, fragments);
      expect(pieces.filter((x) => typeof x !== 'string')).toHaveLength(fragments.length);
      expect(Buffer.concat(pieces.map((x) => (typeof x === 'string' ? Buffer.from(x) : x))).toString()).toBe(want);
    }
  });

  it('a fragment is not used unless every value of its candles matches (a write landed in between)', () => {
    const stale = fragment(p, 50, 150);
    const changed = p.slice();
    changed[120 * CANDLE_STRIDE + 4] = 12345.678; // one close moved after the text was made
    const text = candlesArrayJson(changed, 0, 300, [stale]);
    expect(text).toBe(JSON.stringify(objects(changed, 0, 300)));
    expect(text).toContain('"close":12345.678');
  });

  it('a fragment reaching past the read, or made of other candles, is not used', () => {
    expect(candlesArrayJson(p, 0, 120, [fragment(p, 100, 200)])).toBe(candlesArrayJson(p, 0, 120));
    const other = packed(50, 7);
    expect(candlesArrayJson(p, 0, 50, [{ candles: other, bytes: Buffer.from(candleObjectsJson(other, 0, 50), 'latin1') }])).toBe(candlesArrayJson(p, 0, 50));
  });
});
