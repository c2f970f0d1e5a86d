import { candleAt, CANDLE_STRIDE } from '../../domain/candle.js';
import { holeBefore } from '../../domain/gap-policy.js';
import type { CandleJsonFragment } from '../../protocol/candle-json.js';
import { candleClosedFrame, candlesBatchFrame, gapFrame, type OutboundFrame } from '../../protocol/server-messages.js';

export type DeliveryPhase = 'catchup' | 'live';

export interface ClosedDelivery {
  readonly frames: OutboundFrame[];
  /** last_sent_time after these frames. */
  readonly lastSent: number;
}

/**
 * The frames one subscription receives for closed candles `[from, to)` (all newer than
 * `lastSent`), per contract §3 and trade_canvas's hub; a hole still there is announced
 * (gap-policy.ts, "announced"):
 *  - batch clients get one `gap` if the first candle is past `lastSent + tf`, then one
 *    `candles_batch` (always during catch-up; live, only when there is more than one candle);
 *  - stream clients get a `candle_closed` per candle, each hole announced by a `gap` before it.
 * `lastSent` null means the client has no reference point (tail catch-up, since ≤ 0): no gap.
 */
export function closedDelivery(
  seriesId: string,
  tf: number,
  lastSent: number | null,
  data: Float64Array,
  from: number,
  to: number,
  supportsBatch: boolean,
  phase: DeliveryPhase,
  /** Text already made for some of the candles (a first read's catch-up: prepared-json.ts). */
  fragments?: readonly CandleJsonFragment[],
): ClosedDelivery {
  const frames: OutboundFrame[] = [];
  const last = data[(to - 1) * CANDLE_STRIDE]!;
  if (supportsBatch) {
    const hole = holeBefore(lastSent, data[from * CANDLE_STRIDE]!, tf);
    if (hole) frames.push(gapFrame(seriesId, hole.expectedNext, hole.actual));
    if (phase === 'catchup' || to - from > 1) frames.push(candlesBatchFrame(seriesId, data, from, to, fragments));
    else frames.push(candleClosedFrame(seriesId, candleAt(data, from)));
    return { frames, lastSent: last };
  }
  let prev = lastSent;
  for (let i = from; i < to; i++) {
    const time = data[i * CANDLE_STRIDE]!;
    const hole = holeBefore(prev, time, tf);
    if (hole) frames.push(gapFrame(seriesId, hole.expectedNext, hole.actual));
    frames.push(candleClosedFrame(seriesId, candleAt(data, i)));
    prev = time;
  }
  return { frames, lastSent: last };
}
