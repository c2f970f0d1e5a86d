/**
 * The trades of one minute, rebuilt from its summary (path-day.ts) so that they add up to it
 * exactly: the last trade's price is the close, the highest and lowest prices (with the open) are
 * the high and low, the sizes sum to the volume. A forming bar shows the trades made by "now"; a
 * `1s` kline is the trades of its second.
 *
 * Prices follow a Brownian bridge from open to close, then are stretched monotonically onto
 * [low, high] (values between open and close stay put). Trade i of K happens at i·60000/K ms into
 * the minute (the first at its open instant), except that a "late" minute's last trade comes in its
 * final millisecond, after any forming update: the closed frame then carries a trade no forming
 * frame showed, as Binance's sometimes does (fixtures README, AKROUSDT).
 */
import { gaussianFrom, mulberry32 } from '../lib/seeded-random.js';
import { MINUTE_MS } from './intervals.js';

export interface MinuteTrades {
  readonly count: number;
  /** The open: the price before the first trade (the previous minute's close). */
  readonly open: number;
  /** Ms into the minute of each trade, ascending. */
  readonly offsets: Int32Array;
  /** Price (ticks) of each trade. */
  readonly price: Float64Array;
  /** Volume units up to and including each trade. */
  readonly cumVolume: Float64Array;
  /** Highest and lowest price so far, the open included. */
  readonly runHigh: Float64Array;
  readonly runLow: Float64Array;
}

export function makeMinuteTrades(seed: number, k: number, open: number, high: number, low: number, close: number, volume: number, late: boolean): MinuteTrades {
  const uniform = mulberry32(seed);
  const gauss = gaussianFrom(uniform);
  const price = new Float64Array(k);
  // Bridge: a walk of k steps with its drift removed, so it ends where it starts.
  let walk = 0;
  for (let i = 0; i < k; i++) price[i] = walk += gauss();
  const scale = Math.max(1, high - low) / Math.sqrt(k);
  let top = -Infinity;
  let bottom = Infinity;
  for (let i = 0; i < k - 1; i++) {
    const y = open + ((close - open) * (i + 1)) / k + scale * (price[i]! - (walk * (i + 1)) / k);
    price[i] = y;
    if (y > top) top = y;
    if (y < bottom) bottom = y;
  }
  price[k - 1] = close;
  const upper = Math.max(open, close);
  const lower = Math.min(open, close);
  for (let i = 0; i < k - 1; i++) {
    let y = price[i]!;
    if (y > upper) y = high > upper ? upper + ((y - upper) * (high - upper)) / (top - upper) : upper;
    else if (y < lower) y = low < lower ? lower - ((lower - y) * (lower - low)) / (lower - bottom) : lower;
    price[i] = Math.min(high, Math.max(low, Math.round(y)));
  }
  // A bridge that stayed between open and close reaches the extremes through one trade each.
  if (high > upper && !(top > upper)) price[argExtreme(price, k - 1, 1, -1)] = high;
  // (Not over the trade that makes the high: the open or close makes it when high = upper.)
  if (low < lower && !(bottom < lower)) price[argExtreme(price, k - 1, -1, high > upper ? price.indexOf(high) : -1)] = low;

  const cumVolume = new Float64Array(k);
  let sizes = 0;
  for (let i = 0; i < k; i++) cumVolume[i] = sizes += 1 + Math.floor(uniform() * 1000);
  for (let i = 0; i < k; i++) {
    // Every trade keeps at least one unit: volume ≥ k (path-day.ts).
    const share = Math.round((volume * cumVolume[i]!) / sizes);
    cumVolume[i] = Math.min(volume - (k - 1 - i), Math.max(i === 0 ? 1 : cumVolume[i - 1]! + 1, share));
  }

  const offsets = new Int32Array(k);
  for (let i = 0; i < k; i++) offsets[i] = Math.floor((i * MINUTE_MS) / k);
  if (late) offsets[k - 1] = MINUTE_MS - 1;

  const runHigh = new Float64Array(k);
  const runLow = new Float64Array(k);
  let hi = open;
  let lo = open;
  for (let i = 0; i < k; i++) {
    runHigh[i] = hi = Math.max(hi, price[i]!);
    runLow[i] = lo = Math.min(lo, price[i]!);
  }
  return { count: k, open, offsets, price, cumVolume, runHigh, runLow };
}

/** Index of the highest (sign 1) or lowest (sign −1) of the first `n` prices, other than `skip`. */
function argExtreme(price: Float64Array, n: number, sign: 1 | -1, skip: number): number {
  let best = -1;
  for (let i = 0; i < n; i++) if (i !== skip && (best < 0 || sign * price[i]! > sign * price[best]!)) best = i;
  return best;
}

/** How many trades of the minute happened at or before `offsetMs` into it. */
export function tradesUpTo(m: MinuteTrades, offsetMs: number): number {
  let lo = 0;
  let hi = m.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (m.offsets[mid]! <= offsetMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
