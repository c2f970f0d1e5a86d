import { CANDLE_STRIDE, type Candle } from '../domain/candle.js';

/**
 * JSON text of candles, byte-identical to `JSON.stringify` of contract-ordered candle objects
 * (for finite numbers `${n}` and JSON.stringify agree), without building the objects first:
 * encoding 2,000 candles this way is several times faster than JSON.stringify of objects.
 */

export function candleJson(c: Candle): string {
  return `{"candle_time":${c.candle_time},"open":${c.open},"high":${c.high},"low":${c.low},"close":${c.close},"volume":${c.volume}}`;
}

/** `[{...},{...}]` for packed candles `[from, to)`. */
export function candlesArrayJson(packed: Float64Array, from: number, to: number): string {
  if (to <= from) return '[]';
  const parts = new Array<string>(to - from);
  for (let i = from; i < to; i++) {
    const b = i * CANDLE_STRIDE;
    parts[i - from] =
      `{"candle_time":${packed[b]},"open":${packed[b + 1]},"high":${packed[b + 2]},"low":${packed[b + 3]},"close":${packed[b + 4]},"volume":${packed[b + 5]}}`;
  }
  return `[${parts.join(',')}]`;
}
