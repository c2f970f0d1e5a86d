import { packCandles, type Candle } from '../../src/domain/candle.js';

/** A candle at `time` with recognisable values derived from `seed`. */
export function candle(time: number, seed = 1): Candle {
  return { candle_time: time, open: seed, high: seed + 1, low: seed - 0.5, close: seed + 0.5, volume: 10 * seed };
}

export function packed(times: number[], seed = 1): Float64Array {
  return packCandles(times.map((t) => candle(t, seed)));
}

export function timesOf(packedCandles: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < packedCandles.length; i += 6) out.push(packedCandles[i]!);
  return out;
}
