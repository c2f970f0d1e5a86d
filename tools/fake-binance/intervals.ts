/**
 * Binance kline intervals and where their bars sit in time, as Binance places them: UTC, open times
 * multiples of the interval counted from the Unix epoch (`3d` too), weeks opening on Monday 00:00,
 * months on the 1st at 00:00. Every interval from `1m` to `12h` divides a day and `1s` divides a
 * minute, so a bar never straddles a day unless it is `1d` or longer (price-path.ts relies on it).
 */
import type { FakeMarket } from './fake-rest.js';

export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday: the first Monday 00:00 UTC is 4 days after the epoch. */
const MONDAY_OFFSET_MS = 4 * DAY_MS;

export interface Interval {
  readonly name: string;
  /** Bar length in ms; undefined for `1M` (months differ). */
  readonly fixedMs: number | undefined;
  /** Open time of the bar containing `t`. */
  openOf(t: number): number;
  /** Open time of the bar after the one opening at `open` (its close time + 1). */
  nextOpen(open: number): number;
  /** Open time of the bar before the one opening at `open`. */
  prevOpen(open: number): number;
}

function fixed(name: string, ms: number, offset = 0): Interval {
  return {
    name,
    fixedMs: ms,
    openOf: (t) => Math.floor((t - offset) / ms) * ms + offset,
    nextOpen: (open) => open + ms,
    prevOpen: (open) => open - ms,
  };
}

const monthStart = (t: number, plus: number): number => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plus, 1);
};

const MONTH: Interval = {
  name: '1M',
  fixedMs: undefined,
  openOf: (t) => monthStart(t, 0),
  nextOpen: (open) => monthStart(open, 1),
  prevOpen: (open) => monthStart(open, -1),
};

const ALL: readonly Interval[] = [
  fixed('1s', SECOND_MS),
  ...[1, 3, 5, 15, 30].map((n) => fixed(`${n}m`, n * MINUTE_MS)),
  ...[1, 2, 4, 6, 8, 12].map((n) => fixed(`${n}h`, n * HOUR_MS)),
  fixed('1d', DAY_MS),
  fixed('3d', 3 * DAY_MS),
  fixed('1w', WEEK_MS, MONDAY_OFFSET_MS),
  MONTH,
];
const BY_NAME = new Map(ALL.map((i) => [i.name, i]));

/** Binance's interval `name`, or undefined for a name Binance does not know (`7m`, `1y`). */
export function intervalOf(name: string): Interval | undefined {
  return BY_NAME.get(name);
}

/** The interval if `market` serves it: USD-M futures have no `1s` klines. */
export function marketInterval(market: FakeMarket, name: string): Interval | undefined {
  return market === 'futures' && name === '1s' ? undefined : intervalOf(name);
}
