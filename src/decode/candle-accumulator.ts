import { CANDLE_STRIDE, candleCount } from '../domain/candle.js';
import { sortDedupeByTime } from '../domain/candle-batch.js';
import type { DecodeResult, ReadOptions } from './decode-result.js';

/**
 * One decoded slice of a file as columns of equal length. `times` are Unix seconds; a missing
 * value (null in the file) is NaN in any column.
 */
export interface ColumnChunk {
  readonly length: number;
  readonly times: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/**
 * Collects decoded chunks and turns them into a `DecodeResult`: rows with a missing, NaN or
 * infinite value are dropped, the rest packed, sorted by time with the last of equal times kept,
 * cut to the tail, and scanned for gaps. Format readers only produce columns.
 *
 * Chunks are kept as columns and packed once, at the end, straight into the result buffer: a
 * 1M-row read then allocates and copies its 48 MB of candles once.
 */
export class CandleAccumulator {
  private chunks: ColumnChunk[] = [];
  private read = 0;
  private valid = 0;
  /** Chunks already counted into `valid` (counted lazily: only tail reads ask). */
  private counted = new Set<ColumnChunk>();

  /** Valid rows collected so far (duplicates not yet removed). */
  get validRows(): number {
    for (const chunk of this.chunks) {
      if (this.counted.has(chunk)) continue;
      this.valid += countValidRows(chunk);
      this.counted.add(chunk);
    }
    return this.valid;
  }

  /** Adds a chunk that comes after (`'end'`) or before (`'start'`, for tail reads) those so far. */
  add(chunk: ColumnChunk, where: 'start' | 'end' = 'end'): void {
    this.read += chunk.length;
    if (where === 'end') this.chunks.push(chunk);
    else this.chunks.unshift(chunk);
  }

  /** True when the valid rows collected are strictly ascending in time (a tail read checks this). */
  isAscending(): boolean {
    let prev = -Infinity;
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.length; i++) {
        if (!isValidRow(chunk, i)) continue;
        if (chunk.times[i]! <= prev) return false;
        prev = chunk.times[i]!;
      }
    }
    return true;
  }

  finish(options: ReadOptions): DecodeResult {
    let candles = sortDedupeByTime(packValidRows(this.chunks, this.read));
    const tail = options.tail ?? 0;
    if (tail > 0 && candleCount(candles) > tail) {
      // slice, not subarray: the result's buffer is transferred between threads and must not
      // drag the whole file's candles along.
      candles = candles.slice(candles.length - tail * CANDLE_STRIDE);
    }
    const rowsKept = candleCount(candles);
    const { gaps, missingBars } = countGaps(candles, options.tfSeconds);
    const result: DecodeResult = { candles, rowsRead: this.read, rowsKept, gaps, missingBars };
    if (rowsKept > 0) return result;
    return this.read === 0
      ? { ...result, reason: { code: 'no_rows', message: 'the file holds no rows' } }
      : { ...result, reason: { code: 'no_valid_rows', message: `all ${this.read} rows have a missing, NaN or infinite value` } };
  }
}

/**
 * A row is valid when its six values are finite. `x * 0` is 0 for a finite x and NaN for NaN or
 * ±Infinity, so one comparison tests all six columns.
 */
export function isValidRow(chunk: ColumnChunk, i: number): boolean {
  return chunk.times[i]! * 0 + chunk.open[i]! * 0 + chunk.high[i]! * 0 + chunk.low[i]! * 0 + chunk.close[i]! * 0 + chunk.volume[i]! * 0 === 0;
}

function countValidRows(chunk: ColumnChunk): number {
  let valid = 0;
  for (let i = 0; i < chunk.length; i++) if (isValidRow(chunk, i)) valid++;
  return valid;
}

/** Packs the valid rows of all chunks, in order, into one exact-size buffer. */
function packValidRows(chunks: readonly ColumnChunk[], rows: number): Float64Array {
  const out = new Float64Array(rows * CANDLE_STRIDE);
  let w = 0;
  for (const { length: n, times, open, high, low, close, volume } of chunks) {
    for (let i = 0; i < n; i++) {
      const t = times[i]!;
      const o = open[i]!;
      const h = high[i]!;
      const l = low[i]!;
      const c = close[i]!;
      const v = volume[i]!;
      if (t * 0 + o * 0 + h * 0 + l * 0 + c * 0 + v * 0 !== 0) continue; // see isValidRow
      out[w] = t;
      out[w + 1] = o;
      out[w + 2] = h;
      out[w + 3] = l;
      out[w + 4] = c;
      out[w + 5] = v;
      w += CANDLE_STRIDE;
    }
  }
  return w === out.length ? out : out.slice(0, w);
}

/** Holes longer than one bar between consecutive candles, and the bars they miss. */
function countGaps(candles: Float64Array, tfSeconds: number): { gaps: number; missingBars: number } {
  let gaps = 0;
  let missingBars = 0;
  for (let i = CANDLE_STRIDE; i < candles.length; i += CANDLE_STRIDE) {
    const step = candles[i]! - candles[i - CANDLE_STRIDE]!;
    if (step > tfSeconds) {
      gaps++;
      // Off-grid times (not whole bars apart) still count as a gap; round to whole bars missing.
      missingBars += Math.max(0, Math.round(step / tfSeconds) - 1);
    }
  }
  return { gaps, missingBars };
}
