import { CANDLE_STRIDE, candleCount } from './candle.js';

/**
 * Sorts packed candles by time and drops duplicate times, keeping the one that came last
 * (contract §2: "last write wins"). Returns the input untouched when it is already strictly
 * ascending, which is the common case for exchange data.
 */
export function sortDedupeByTime(packed: Float64Array): Float64Array {
  const n = candleCount(packed);
  let ascending = true;
  for (let i = 1; i < n; i++) {
    if (packed[i * CANDLE_STRIDE]! <= packed[(i - 1) * CANDLE_STRIDE]!) {
      ascending = false;
      break;
    }
  }
  if (ascending) return packed;

  // Stable sort of indexes by time; among equal times the later index wins.
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => packed[a * CANDLE_STRIDE]! - packed[b * CANDLE_STRIDE]! || a - b);
  const out = new Float64Array(n * CANDLE_STRIDE);
  let written = 0;
  for (let k = 0; k < n; k++) {
    const src = order[k]!;
    const next = order[k + 1];
    if (next !== undefined && packed[next * CANDLE_STRIDE] === packed[src * CANDLE_STRIDE]) continue;
    out.set(packed.subarray(src * CANDLE_STRIDE, (src + 1) * CANDLE_STRIDE), written * CANDLE_STRIDE);
    written++;
  }
  return written === n ? out : out.slice(0, written * CANDLE_STRIDE);
}

/** Index of the first candle with time > `since` in ascending packed candles (binary search). */
export function firstIndexAfter(packed: Float64Array, since: number): number {
  let lo = 0;
  let hi = candleCount(packed);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (packed[mid * CANDLE_STRIDE]! <= since) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The candles with time > `after` (a view, no copy; all of them when `after` is null). */
export function candlesAfter(packed: Float64Array, after: number | null): Float64Array {
  return after === null ? packed : packed.subarray(firstIndexAfter(packed, after) * CANDLE_STRIDE);
}

/** Index of the first candle with time >= `time` in ascending packed candles. */
export function firstIndexAtOrAfter(packed: Float64Array, time: number): number {
  return firstIndexAfter(packed, time - 0.5);
}

/**
 * Merges two ascending, duplicate-free packed runs; on equal times `newer` wins. Used by the tail
 * cache when committed candles land inside the cached window.
 */
export function mergeAscending(older: Float64Array, newer: Float64Array): Float64Array {
  const a = candleCount(older);
  const b = candleCount(newer);
  const out = new Float64Array((a + b) * CANDLE_STRIDE);
  let i = 0;
  let j = 0;
  let w = 0;
  while (i < a || j < b) {
    const ta = i < a ? older[i * CANDLE_STRIDE]! : Infinity;
    const tb = j < b ? newer[j * CANDLE_STRIDE]! : Infinity;
    // Field by field: a subarray per candle would allocate two views per row.
    const o = w * CANDLE_STRIDE;
    if (tb <= ta) {
      const s = j * CANDLE_STRIDE;
      for (let k = 0; k < CANDLE_STRIDE; k++) out[o + k] = newer[s + k]!;
      j++;
      if (ta === tb) i++;
    } else {
      const s = i * CANDLE_STRIDE;
      for (let k = 0; k < CANDLE_STRIDE; k++) out[o + k] = older[s + k]!;
      i++;
    }
    w++;
  }
  return w === a + b ? out : out.slice(0, w * CANDLE_STRIDE);
}

/** Packed runs laid end to end (returns the only part itself when there is one). */
export function concatPacked(parts: readonly Float64Array[]): Float64Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The candles in reverse order (a store reads a tail newest first; callers want it ascending). */
export function reversePacked(packed: Float64Array): Float64Array {
  const n = candleCount(packed);
  const out = new Float64Array(packed.length);
  for (let i = 0; i < n; i++) out.set(packed.subarray(i * CANDLE_STRIDE, (i + 1) * CANDLE_STRIDE), (n - 1 - i) * CANDLE_STRIDE);
  return out;
}
