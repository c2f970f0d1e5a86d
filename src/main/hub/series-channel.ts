import { CANDLE_STRIDE, candleCount, type Candle } from '../../domain/candle.js';
import { candleFormingFrame } from '../../protocol/server-messages.js';
import type { DeliveryMemo, Subscription } from './subscription.js';

/**
 * Fan-out point of one series: its subscriptions, the newest published closed time, and the
 * current forming candle (sent after catch-up and inside snapshots).
 */
export class SeriesChannel {
  readonly subscriptions = new Set<Subscription>();
  private lastClosed: number | null = null;
  private formingCandle: Candle | null = null;

  constructor(readonly seriesId: string) {}

  get forming(): Candle | null {
    return this.formingCandle;
  }

  get isIdle(): boolean {
    return this.subscriptions.size === 0 && this.formingCandle === null;
  }

  publishClosed(data: Float64Array): void {
    const n = candleCount(data);
    if (n === 0) return;
    const last = data[(n - 1) * CANDLE_STRIDE]!;
    if (this.lastClosed === null || last > this.lastClosed) this.lastClosed = last;
    if (this.formingCandle && this.formingCandle.candle_time <= this.lastClosed) this.formingCandle = null;
    const memo: DeliveryMemo = new Map();
    for (const sub of this.subscriptions) sub.onClosed(data, memo);
  }

  /** Returns false when the candle is stale (not newer than the last closed one). */
  publishForming(candle: Candle): boolean {
    if (this.lastClosed !== null && candle.candle_time <= this.lastClosed) return false;
    this.formingCandle = candle;
    if (this.subscriptions.size === 0) return true;
    const frame = candleFormingFrame(this.seriesId, candle);
    for (const sub of this.subscriptions) sub.onForming(frame, candle.candle_time);
    return true;
  }
}
