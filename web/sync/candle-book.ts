import type { Candle } from '../../src/domain/candle.js';

/**
 * What a merge did to the bars on screen, so the chart can pick the cheap path:
 * `tail` → `series.update()` each listed bar in order (they are all at or after the last bar shown);
 * `bulk` → `series.setData(book.bars())` (history changed: a refill, a big batch, an insert);
 * `older` → the same, `count` bars were added before the first one (scroll-back: keep the view).
 */
export type BarChange = { kind: 'none' } | { kind: 'tail'; bars: readonly Candle[] } | { kind: 'bulk' } | { kind: 'older'; count: number };

const NONE: BarChange = { kind: 'none' };
const BULK: BarChange = { kind: 'bulk' };

/**
 * Above this many bars one `setData` is cheaper than a run of `update()` calls, each of which
 * re-runs lightweight-charts' layout.
 */
const MAX_TAIL_UPDATES = 8;

/**
 * The candles of one series, keyed by `candle_time`: closed candles (authoritative, sorted
 * ascending, one per time) plus at most one forming candle after the last closed one.
 *
 * Merge rules (contract §3): a closed candle replaces whatever had its time, forming included;
 * an older closed candle (a gap refill) is inserted in order, never dropped; a forming candle at or
 * before the last closed time is stale and ignored.
 */
export class CandleBook {
  private closed: Candle[] = [];
  private forming: Candle | null = null;

  /** Time of the newest closed candle, or null; the `since` of the next subscribe/refill. */
  get lastClosedTime(): number | null {
    return this.closed.length > 0 ? this.closed[this.closed.length - 1]!.candle_time : null;
  }

  /** Time of the oldest closed candle, or null; the `before` of the next scroll-back page. */
  get firstClosedTime(): number | null {
    return this.closed[0]?.candle_time ?? null;
  }

  /** Bars on screen: closed candles plus the forming one. */
  get length(): number {
    return this.closed.length + (this.forming ? 1 : 0);
  }

  /** The last bar on screen (the forming candle when there is one). */
  last(): Candle | null {
    return this.forming ?? this.closed[this.closed.length - 1] ?? null;
  }

  /** Every bar on screen, ascending; a fresh array (lightweight-charts keeps what it is given). */
  bars(): Candle[] {
    return this.forming ? [...this.closed, this.forming] : this.closed.slice();
  }

  clear(): void {
    this.closed = [];
    this.forming = null;
  }

  /** Merges closed candles in any order (HTTP page, batch, refill, snapshot, single close). */
  mergeClosed(candles: readonly Candle[]): BarChange {
    if (candles.length === 0) return NONE;
    const tail = this.isTailRun(candles);
    if (tail) this.appendRun(candles);
    else for (const c of candles) this.insert(c);
    if (this.forming && this.forming.candle_time <= this.lastClosedTime!) this.forming = null;
    return tail && candles.length <= MAX_TAIL_UPDATES ? { kind: 'tail', bars: candles.slice() } : BULK;
  }

  /**
   * Older closed candles (a scroll-back page, ascending) before the first one held; returns how
   * many were added. A page that overlaps what is held is merged like any other.
   */
  prependOlder(candles: readonly Candle[]): number {
    const before = this.closed.length;
    const first = this.closed[0]?.candle_time ?? Infinity;
    const ascending = candles.every((c, i) => i === 0 || c.candle_time > candles[i - 1]!.candle_time);
    if (ascending && candles.length > 0 && candles[candles.length - 1]!.candle_time < first) this.closed = [...candles, ...this.closed];
    else for (const c of candles) this.insert(c);
    return this.closed.length - before;
  }

  /** Applies a forming update; stale ones (≤ last closed, or older than the current forming) are ignored. */
  setForming(candle: Candle): BarChange {
    const lastClosed = this.lastClosedTime;
    if (lastClosed !== null && candle.candle_time <= lastClosed) return NONE;
    const previous = this.forming;
    if (previous && candle.candle_time < previous.candle_time) return NONE;
    this.forming = candle;
    // A newer forming bar while the previous one never closed: that stale bar must leave the
    // screen too, which update() cannot do.
    if (previous && candle.candle_time > previous.candle_time) return BULK;
    return { kind: 'tail', bars: [candle] };
  }

  /**
   * True when `candles` is strictly ascending and starts where update() may write: at the forming
   * bar's time (replacing it) or, with no forming bar, at or after the last closed time.
   */
  private isTailRun(candles: readonly Candle[]): boolean {
    for (let i = 1; i < candles.length; i++) {
      if (candles[i]!.candle_time <= candles[i - 1]!.candle_time) return false;
    }
    const first = candles[0]!.candle_time;
    if (this.forming) return first === this.forming.candle_time;
    const lastClosed = this.lastClosedTime;
    return lastClosed === null || first >= lastClosed;
  }

  private appendRun(candles: readonly Candle[]): void {
    let i = 0;
    if (candles[0]!.candle_time === this.lastClosedTime) this.closed[this.closed.length - 1] = candles[i++]!;
    for (; i < candles.length; i++) this.closed.push(candles[i]!);
  }

  private insert(candle: Candle): void {
    const closed = this.closed;
    const t = candle.candle_time;
    // Live data lands at the end; check there before searching.
    if (closed.length === 0 || t > closed[closed.length - 1]!.candle_time) {
      closed.push(candle);
      return;
    }
    let lo = 0;
    let hi = closed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (closed[mid]!.candle_time < t) lo = mid + 1;
      else hi = mid;
    }
    if (closed[lo]?.candle_time === t) closed[lo] = candle;
    else closed.splice(lo, 0, candle);
  }
}
