import { CANDLE_STRIDE } from '../domain/candle.js';
import { concatPacked, sortDedupeByTime } from '../domain/candle-batch.js';
import type { ClosedBatchMessage } from './contract.js';

/**
 * Turns the batches taken by one drain into per-series write sets: sorted by (series_id,
 * candle_time) so inserts walk the primary-key B-tree in order, duplicate times collapsed with
 * the last arrival winning, and each candle remembering whether its batch asked to be published.
 */

export interface DrainInput {
  readonly series: readonly string[];
  readonly counts: readonly number[];
  readonly data: Float64Array;
  readonly publish: boolean;
}

export interface SeriesWrite {
  readonly seriesId: string;
  /** Every candle to upsert: sorted, unique times. */
  readonly all: Float64Array;
  /** The subset to publish, and the subset committed silently (dev batch publish_ws:false). */
  readonly published: Float64Array;
  readonly silent: Float64Array;
}

interface Run {
  readonly data: Float64Array;
  readonly publish: boolean;
}

export function planDrain(batches: readonly DrainInput[]): SeriesWrite[] {
  const runsBySeries = new Map<string, Run[]>();
  for (const batch of batches) {
    let offset = 0;
    for (let s = 0; s < batch.series.length; s++) {
      const n = batch.counts[s]!;
      if (n > 0) {
        const data = batch.data.subarray(offset * CANDLE_STRIDE, (offset + n) * CANDLE_STRIDE);
        const runs = runsBySeries.get(batch.series[s]!);
        if (runs) runs.push({ data, publish: batch.publish });
        else runsBySeries.set(batch.series[s]!, [{ data, publish: batch.publish }]);
      }
      offset += n;
    }
  }
  const seriesIds = [...runsBySeries.keys()].sort();
  return seriesIds.map((seriesId) => writeFor(seriesId, runsBySeries.get(seriesId)!));
}

const EMPTY = new Float64Array(0);

function writeFor(seriesId: string, runs: Run[]): SeriesWrite {
  if (runs.every((r) => r.publish === runs[0]!.publish)) {
    // Common case: one kind of run. Copy so the result never aliases a batch buffer.
    const all = sortDedupeByTime(concatPacked(runs.map((r) => r.data)));
    const owned = all === runs[0]!.data ? all.slice() : all;
    return runs[0]!.publish ? { seriesId, all: owned, published: owned, silent: EMPTY } : { seriesId, all: owned, published: EMPTY, silent: owned };
  }
  // Mixed publish flags: carry the flag as a 7th column through the sort, then split.
  const total = runs.reduce((n, r) => n + r.data.length / CANDLE_STRIDE, 0);
  const times = new Float64Array(total);
  const flags = new Uint8Array(total);
  const rowOf = new Array<[Float64Array, number]>(total);
  let k = 0;
  for (const run of runs) {
    for (let i = 0; i < run.data.length / CANDLE_STRIDE; i++, k++) {
      times[k] = run.data[i * CANDLE_STRIDE]!;
      flags[k] = run.publish ? 1 : 0;
      rowOf[k] = [run.data, i];
    }
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
  const winners = order.filter((idx, pos) => pos + 1 >= order.length || times[order[pos + 1]!] !== times[idx]);
  const all = new Float64Array(winners.length * CANDLE_STRIDE);
  winners.forEach((idx, w) => {
    const [data, i] = rowOf[idx]!;
    all.set(data.subarray(i * CANDLE_STRIDE, (i + 1) * CANDLE_STRIDE), w * CANDLE_STRIDE);
  });
  return {
    seriesId,
    all,
    published: pick(
      all,
      winners.map((idx) => flags[idx] === 1),
    ),
    silent: pick(
      all,
      winners.map((idx) => flags[idx] === 0),
    ),
  };
}

function pick(all: Float64Array, keep: boolean[]): Float64Array {
  const count = keep.filter(Boolean).length;
  const out = new Float64Array(count * CANDLE_STRIDE);
  let w = 0;
  keep.forEach((yes, i) => {
    if (yes) out.set(all.subarray(i * CANDLE_STRIDE, (i + 1) * CANDLE_STRIDE), w++ * CANDLE_STRIDE);
  });
  return out;
}

/** Why a closed batch from a producer is malformed, or null: checked before it is queued. */
export function validateBatch(msg: ClosedBatchMessage): string | null {
  if (!(msg.data instanceof Float64Array)) return 'batch data must be a Float64Array';
  if (!Array.isArray(msg.series) || !Array.isArray(msg.counts) || msg.series.length !== msg.counts.length) return 'batch series/counts mismatch';
  let total = 0;
  for (let i = 0; i < msg.counts.length; i++) {
    const n = msg.counts[i];
    if (typeof msg.series[i] !== 'string' || typeof n !== 'number' || !Number.isInteger(n) || n < 0) return 'batch segment malformed';
    total += n;
  }
  if (total * CANDLE_STRIDE !== msg.data.length) return 'batch counts do not match data length';
  // Every producer sends whole seconds; PostgreSQL stores candle_time as int8 (a fraction would be
  // cut silently), and a batch that can never commit must not block the queue behind it.
  for (let b = 0; b < msg.data.length; b += CANDLE_STRIDE) {
    const t = msg.data[b]!;
    if (!Number.isSafeInteger(t) || t < 0) return `batch candle_time ${t} is not a whole number of seconds ≥ 0`;
  }
  return null;
}
