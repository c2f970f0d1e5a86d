import { candleAt, type Candle } from '../domain/candle.js';

/**
 * Messages between an ingest worker and the main thread besides comlink's (architecture.md "data
 * plane"): forming candles go straight to the hub, never through the writer (invariant 2).
 */

/**
 * Ingest worker → main thread: the throttled forming candles of one event-loop turn, coalesced
 * into one message. `data` is packed like closed batches (`[t,o,h,l,c,v] × n`, domain/candle.ts);
 * `series[i]` names candle i.
 */
export interface FormingBatchMessage {
  readonly t: 'forming';
  readonly series: readonly string[];
  readonly data: Float64Array;
}

/** Unpacks a forming message (main thread side). */
export function eachFormingCandle(msg: FormingBatchMessage, each: (seriesId: string, candle: Candle) => void): void {
  for (let i = 0; i < msg.series.length; i++) each(msg.series[i]!, candleAt(msg.data, i));
}
