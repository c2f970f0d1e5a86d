import type { Candle } from '../../domain/candle.js';
import { systemClock, type Clock, type Timer } from '../../shared/clock.js';

/**
 * Forming (not yet closed) candles of one series → at most one update per `minIntervalMs`
 * (`MARKET_FORMING_MIN_INTERVAL_MS`, default 250; 0 = every update), contract §4 **(fix)**:
 * coalesced, latest wins, and a trailing send so the last value is always shown — the first
 * update after a quiet period goes at once, later ones within the interval are kept and the
 * newest is sent when the interval ends.
 *
 * The spacing is strict, also at a close: a value still waiting for its slot when its bar closes
 * is superseded by the closed candle, which follows within milliseconds and carries the bar's
 * final values (plus any trade no forming frame showed, sources.md). Sending it at once would put
 * two forming frames closer than the interval on the wire for nothing.
 *
 * Stale updates are dropped, never shown: a forming bar at or before the last closed bar, a bar
 * older than the newest forming one, or an update older (by event time E) than the one already
 * taken — which can happen for a moment while two connections overlap during a rotation.
 */
export interface FormingThrottleStats {
  received: number;
  emitted: number;
  /** Updates replaced by a newer one within the interval. */
  coalesced: number;
  /** Stale updates (see class comment). */
  dropped: number;
  /** Values still waiting for their slot when their bar closed (the closed candle carries them). */
  superseded: number;
}

/** When a forming update was made (exchange event time) and received (local clock ms). */
export interface FormingTimes {
  readonly eventTimeMs: number;
  readonly receivedAt: number;
}

export class FormingThrottle {
  /** The value waiting for its slot: a copy (the caller's candle is reused after the call). */
  private pending: Candle | undefined;
  private readonly slot: Candle = { candle_time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  private timer: Timer | undefined;
  private lastEmitAt = -Infinity;
  private lastClosed = -Infinity;
  private newestTime = -Infinity;
  private newestEvent = -Infinity;
  private readonly clock: Clock;
  private readonly counters: FormingThrottleStats = { received: 0, emitted: 0, coalesced: 0, dropped: 0, superseded: 0 };

  constructor(
    private readonly minIntervalMs: number,
    private readonly emit: (candle: Candle) => void,
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
  }

  /**
   * `candle` is read during the call only (ingest passes one reused object). The times come in an
   * object (ingest passes its reused frame): two doubles as arguments of a call V8 does not inline
   * would be two heap numbers per frame.
   */
  forming(candle: Candle, times: FormingTimes): void {
    const eventTimeMs = times.eventTimeMs;
    const now = times.receivedAt;
    this.counters.received++;
    const t = candle.candle_time;
    if (t <= this.lastClosed || t < this.newestTime || (t === this.newestTime && eventTimeMs < this.newestEvent)) {
      this.counters.dropped++;
      return;
    }
    this.newestTime = t;
    this.newestEvent = eventTimeMs;
    if (this.timer === undefined && now - this.lastEmitAt >= this.minIntervalMs) {
      this.send(candle, now);
      return;
    }
    if (this.pending !== undefined) this.counters.coalesced++;
    this.pending = copyInto(this.slot, candle);
    this.timer ??= this.clock.setTimeout(this.onTimer, this.lastEmitAt + this.minIntervalMs - now);
  }

  /** The bar at `candleTime` closed: its waiting value is superseded; older bars are stale from here on. */
  closed(candleTime: number): void {
    if (candleTime <= this.lastClosed) return;
    this.lastClosed = candleTime;
    const pending = this.pending;
    if (pending === undefined) return;
    // The timer stays armed: its deadline is the next slot whatever is pending, so a later update
    // of the next bar rides on it instead of a clearTimeout now and a setTimeout then (one pair
    // per bar per series on a busy worker). If nothing is pending when it fires, it sends nothing.
    // A newer bar's update (it raced ahead of the close) keeps its slot the same way.
    if (pending.candle_time === candleTime) {
      this.counters.superseded++;
      this.pending = undefined;
    } else if (pending.candle_time < candleTime) {
      this.counters.dropped++;
      this.pending = undefined;
    }
  }

  /** Cancels the trailing send (job stopped). */
  stop(): void {
    this.cancelTimer();
    this.pending = undefined;
  }

  stats(): FormingThrottleStats {
    return { ...this.counters };
  }

  /** An arrow made once: creating `() => this.onTimer()` inside forming() made V8 allocate a context for `this` on every call. */
  private readonly onTimer = (): void => {
    this.timer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    // A fresh object: the slot is overwritten by the next update, and `emit` may keep what it gets.
    if (pending !== undefined) this.send({ ...pending }, this.clock.now());
  };

  private send(candle: Candle, now: number): void {
    this.lastEmitAt = now;
    this.counters.emitted++;
    this.emit(candle);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function copyInto(to: Candle, from: Candle): Candle {
  to.candle_time = from.candle_time;
  to.open = from.open;
  to.high = from.high;
  to.low = from.low;
  to.close = from.close;
  to.volume = from.volume;
  return to;
}
