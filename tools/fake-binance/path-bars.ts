/**
 * Klines of any interval as aggregates of a symbol's price path (price-path.ts): a bar's open is
 * the open of its first minute (the close before it), its close the close of its last, its high and
 * low the extremes, its volume and trade count the sums, as Binance builds them. Whole days come
 * from the day summaries, whole minutes from the day's minutes, and the minute in progress (or a
 * `1s` bar) from that minute's trades up to "now", so a forming bar shows exactly the trades made
 * so far and the closed bar is its completion.
 */
import type { Bar } from './kline-generator.js';
import { DAY_MS as DAY_MS_EXPORT, MINUTE_MS as MINUTE_MS_EXPORT, type Interval } from './intervals.js';
import { MINUTES_PER_DAY } from './path-day.js';
import { tradesUpTo } from './minute-trades.js';
import type { PricePath } from './price-path.js';

const VOLUME_DECIMALS = 3;
// Module-local copies: read in the hottest loop, where an imported binding may cost a getter call.
const DAY_MS = DAY_MS_EXPORT;
const MINUTE_MS = MINUTE_MS_EXPORT;

/** A running aggregate in ticks and volume units; `n` = 0 means no trade yet (prices = the last price). */
class Totals {
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;
  n = 0;
  first = -1;
  last = -1;
  private empty = true;

  reset(): this {
    this.volume = this.n = 0;
    this.first = this.last = -1;
    this.empty = true;
    return this;
  }

  add(open: number, high: number, low: number, close: number, volume: number, n: number, first: number): void {
    if (this.empty) {
      this.empty = false;
      this.open = open;
      this.high = high;
      this.low = low;
    } else {
      if (high > this.high) this.high = high;
      if (low < this.low) this.low = low;
    }
    this.close = close;
    this.volume += volume;
    if (n > 0) {
      if (this.n === 0) this.first = first;
      this.last = first + n - 1;
      this.n += n;
    }
  }
}

/** One bar is summed at a time (synchronously): one accumulator, no garbage per bar. */
const scratch = new Totals();

/**
 * The bar of `path` opening at `open` (next bar at `next`) with the trades made by `now` (ms,
 * inclusive), or undefined if the path has nothing in it by then. Data starts at `path.firstMs`;
 * a bar straddling it (a week or month) holds what there is, with its aligned open time.
 */
export function pathBar(path: PricePath, open: number, next: number, now: number): Bar | undefined {
  const end = Math.min(next, now + 1);
  let t = Math.max(open, path.firstMs);
  if (t >= end) return undefined;
  const k = path.tradesPerMinute;
  const sum = scratch.reset();
  while (t < end) {
    const day = Math.floor(t / DAY_MS);
    const dayStart = day * DAY_MS;
    if (t === dayStart && dayStart + DAY_MS <= end) {
      const s = path.summary(day);
      sum.add(s.open, s.high, s.low, s.close, s.volume, MINUTES_PER_DAY * k, path.firstTradeId(day * MINUTES_PER_DAY));
      t += DAY_MS;
      continue;
    }
    const minuteStart = Math.floor(t / MINUTE_MS) * MINUTE_MS;
    if (t === minuteStart && minuteStart + MINUTE_MS <= end) {
      const stop = Math.min(dayStart + DAY_MS, Math.floor(end / MINUTE_MS) * MINUTE_MS);
      addMinutes(sum, path, day, (t - dayStart) / MINUTE_MS, (stop - dayStart) / MINUTE_MS);
      t = stop;
      continue;
    }
    const stop = Math.min(minuteStart + MINUTE_MS, end);
    addTrades(sum, path, minuteStart / MINUTE_MS, t - minuteStart, stop - minuteStart);
    t = stop;
  }
  const decimals = path.priceDecimals;
  return {
    t: open,
    T: next - 1,
    o: formatTicks(sum.open, decimals),
    h: formatTicks(sum.high, decimals),
    l: formatTicks(sum.low, decimals),
    c: formatTicks(sum.close, decimals),
    v: formatTicks(sum.volume, VOLUME_DECIMALS),
    n: sum.n,
    firstTrade: sum.first,
    lastTrade: sum.last,
  };
}

/** Minutes `from`..`to` − 1 of `day`, all complete. */
function addMinutes(sum: Totals, path: PricePath, day: number, from: number, to: number): void {
  const d = path.day(day);
  let high = d.high[from]!;
  let low = d.low[from]!;
  let volume = 0;
  for (let j = from; j < to; j++) {
    if (d.high[j]! > high) high = d.high[j]!;
    if (d.low[j]! < low) low = d.low[j]!;
    volume += d.volume[j]!;
  }
  const open = from === 0 ? d.open : d.close[from - 1]!;
  sum.add(open, high, low, d.close[to - 1]!, volume, (to - from) * path.tradesPerMinute, path.firstTradeId(day * MINUTES_PER_DAY + from));
}

/** Trades of `minute` made from `fromMs` to before `toMs` into it. */
function addTrades(sum: Totals, path: PricePath, minute: number, fromMs: number, toMs: number): void {
  const m = path.minuteTrades(minute);
  const i0 = fromMs === 0 ? 0 : tradesUpTo(m, fromMs - 1);
  const i1 = tradesUpTo(m, toMs - 1);
  const before = i0 === 0 ? m.open : m.price[i0 - 1]!;
  if (i1 === i0) {
    sum.add(before, before, before, before, 0, 0, 0);
    return;
  }
  let high = before;
  let low = before;
  if (i0 === 0) {
    high = m.runHigh[i1 - 1]!;
    low = m.runLow[i1 - 1]!;
  } else
    for (let i = i0; i < i1; i++) {
      if (m.price[i]! > high) high = m.price[i]!;
      if (m.price[i]! < low) low = m.price[i]!;
    }
  const volume = m.cumVolume[i1 - 1]! - (i0 === 0 ? 0 : m.cumVolume[i0 - 1]!);
  sum.add(before, high, low, m.price[i1 - 1]!, volume, i1 - i0, path.firstTradeId(minute) + i0);
}

export interface BarQuery {
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit: number;
  /** Exchange time, ms: no bar opens after it, and the bar containing it is still forming. */
  readonly now: number;
  /** Open times the exchange has no data for (a maintenance hole): skipped, not counted. */
  readonly skip?: (openMs: number) => boolean;
}

/**
 * Binance's selection (GET /api/v3/klines): from startTime forward, else the newest bars up to
 * endTime (or now), at most `limit`, oldest first; the last may be the still-forming bar.
 */
export function selectPathBars(path: PricePath, interval: Interval, q: BarQuery): Bar[] {
  const first = interval.openOf(path.firstMs);
  const last = interval.openOf(Math.min(q.now, q.endTime ?? q.now));
  const out: Bar[] = [];
  const take = (open: number) => {
    if (q.skip?.(open)) return;
    const bar = pathBar(path, open, interval.nextOpen(open), q.now);
    if (bar) out.push(bar);
  };
  if (q.startTime !== undefined) {
    let open = Math.max(first, interval.openOf(q.startTime));
    if (open < q.startTime) open = interval.nextOpen(open);
    for (; open <= last && out.length < q.limit; open = interval.nextOpen(open)) take(open);
    return out;
  }
  for (let open = last; open >= first && out.length < q.limit; open = interval.prevOpen(open)) take(open);
  return out.reverse();
}

/** Integer ticks → fixed-point decimal string, exactly (no float formatting). */
export function formatTicks(ticks: number, decimals: number): string {
  if (decimals === 0) return String(ticks);
  let text = String(ticks);
  if (text.length <= decimals) text = text.padStart(decimals + 1, '0');
  const point = text.length - decimals;
  return text.slice(0, point) + '.' + text.slice(point);
}
