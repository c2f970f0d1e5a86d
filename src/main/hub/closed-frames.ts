import { candleAt, CANDLE_STRIDE } from '../../domain/candle.js';
import { candleClosedFrame, candlesBatchFrame, gapFrame, type OutboundFrame } from '../../protocol/server-messages.js';

export type DeliveryPhase = 'catchup' | 'live';

export interface ClosedDelivery {
  readonly frames: OutboundFrame[];
  /** last_sent_time after these frames. */
  readonly lastSent: number;
}

/**
 * The frames one subscription receives for closed candles `[from, to)` (all newer than
 * `lastSent`), per contract §3 and trade_canvas's hub:
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
): ClosedDelivery {
  const frames: OutboundFrame[] = [];
  const last = data[(to - 1) * CANDLE_STRIDE]!;
  if (supportsBatch) {
    const first = data[from * CANDLE_STRIDE]!;
    if (lastSent !== null && first > lastSent + tf) frames.push(gapFrame(seriesId, lastSent + tf, first));
    if (phase === 'catchup' || to - from > 1) frames.push(candlesBatchFrame(seriesId, data, from, to));
    else frames.push(candleClosedFrame(seriesId, candleAt(data, from)));
    return { frames, lastSent: last };
  }
  let prev = lastSent;
  for (let i = from; i < to; i++) {
    const time = data[i * CANDLE_STRIDE]!;
    if (prev !== null && time > prev + tf) frames.push(gapFrame(seriesId, prev + tf, time));
    frames.push(candleClosedFrame(seriesId, candleAt(data, i)));
    prev = time;
  }
  return { frames, lastSent: last };
}
