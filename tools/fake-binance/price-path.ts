/**
 * A symbol's one price path (per market): every kline the fake serves for the symbol, whatever
 * its interval, live or over REST, is an aggregate of it (path-bars.ts), so 5m bars are exactly the
 * aggregates of the 1m bars and REST history runs into the live stream without a seam.
 *
 * The path starts at `startPrice` at 00:00 UTC of the origin day (the day the fake starts) and is
 * made a UTC day at a time (path-day.ts): forward from the origin for the days since, backward
 * for the `historyDays` before it. A day needs its neighbour's edge (price and activity), so the
 * days between the origin and a requested day are made once, in order, and their summaries kept
 * (a few numbers per day: what `1d` and longer bars are built from); their minutes go to a bounded
 * cache shared by the generator's paths and are made again, identically, when evicted. A request
 * therefore gives the same rows whatever was asked before.
 */
import { makeDay, CALM, MINUTES_PER_DAY, type ActivityState, type PathDay, type PathParams } from './path-day.js';
import { makeMinuteTrades, type MinuteTrades } from './minute-trades.js';
import { DAY_MS, MINUTE_MS } from './intervals.js';
import { mixSeed } from '../lib/seeded-random.js';

/** What `1d`+ bars need of a day, kept for every day made (the minutes may be evicted). */
export interface DaySummary {
  readonly open: number;
  readonly close: number;
  readonly high: number;
  readonly low: number;
  readonly volume: number;
  readonly firstActivity: ActivityState;
  readonly lastActivity: ActivityState;
}

/** Bounded LRU of made days, shared by a generator's paths. */
export class DayCache {
  private readonly days = new Map<string, PathDay>();
  constructor(private readonly maxDays: number) {}

  get(key: string): PathDay | undefined {
    const hit = this.days.get(key);
    if (hit) {
      this.days.delete(key);
      this.days.set(key, hit);
    }
    return hit;
  }

  set(key: string, day: PathDay): void {
    this.days.set(key, day);
    if (this.days.size > this.maxDays) this.days.delete(this.days.keys().next().value!);
  }

  get size(): number {
    return this.days.size;
  }
}

/** Minutes whose trades a path keeps rebuilt: the live one and a few REST asked for. */
const TRADE_MINUTES_KEPT = 4;

export interface PathSetup {
  readonly symbol: string;
  readonly params: PathParams;
  /** Price at 00:00 UTC of the origin day, ticks. */
  readonly startTicks: number;
  readonly priceDecimals: number;
  readonly originDay: number;
  /** First UTC day with data (the symbol's "listing"); nothing before it exists. */
  readonly firstDay: number;
}

export class PricePath {
  readonly symbol: string;
  readonly priceDecimals: number;
  readonly tradesPerMinute: number;
  /** Price at 00:00 UTC of the origin day, ticks. */
  readonly startTicks: number;
  /** Open time of the first minute with data. */
  readonly firstMs: number;
  private readonly params: PathParams;
  /** Summaries of days origin, origin + 1, …; and of origin − 1, origin − 2, …. */
  private readonly forward: DaySummary[] = [];
  private readonly backward: DaySummary[] = [];
  private readonly trades = new Map<number, MinuteTrades>();
  /** The day last handed out: consecutive bars mostly fall in the same day (no cache lookup). */
  private recent: PathDay | undefined;

  constructor(
    private readonly setup: PathSetup,
    private readonly cache: DayCache,
  ) {
    this.symbol = setup.symbol;
    this.priceDecimals = setup.priceDecimals;
    this.params = setup.params;
    this.tradesPerMinute = setup.params.tradesPerMinute;
    this.startTicks = setup.startTicks;
    this.firstMs = setup.firstDay * DAY_MS;
  }

  /** Minute summaries of UTC day `day` (≥ the first day). */
  day(day: number): PathDay {
    if (this.recent?.day === day) return this.recent;
    const key = `${this.params.seed}:${this.symbol}:${day}`;
    let made = this.cache.get(key);
    if (!made) {
      const wasIndexed = this.summaryIfMade(day) !== undefined;
      this.indexThrough(day);
      // indexThrough made (and cached) the day unless its summary was already kept.
      made = wasIndexed ? this.make(day) : this.cache.get(key)!;
      if (wasIndexed) this.cache.set(key, made);
    }
    return (this.recent = made);
  }

  summary(day: number): DaySummary {
    this.indexThrough(day);
    return this.summaryIfMade(day)!;
  }

  /** Trades of minute `minute` (minutes since the epoch), matching its summary exactly. */
  minuteTrades(minute: number): MinuteTrades {
    const hit = this.trades.get(minute);
    if (hit) return hit;
    const day = Math.floor(minute / MINUTES_PER_DAY);
    const d = this.day(day);
    const j = minute - day * MINUTES_PER_DAY;
    const open = j === 0 ? d.open : d.close[j - 1]!;
    const made = makeMinuteTrades(
      mixSeed(this.params.seed, 'trades', minute),
      this.tradesPerMinute,
      open,
      d.high[j]!,
      d.low[j]!,
      d.close[j]!,
      d.volume[j]!,
      d.late[j] === 1,
    );
    this.trades.set(minute, made);
    if (this.trades.size > TRADE_MINUTES_KEPT) this.trades.delete(this.trades.keys().next().value!);
    return made;
  }

  /** Number of the first trade of minute `minute` (ids run on across minutes, from 1 at the first). */
  firstTradeId(minute: number): number {
    return (minute - this.firstMs / MINUTE_MS) * this.tradesPerMinute + 1;
  }

  private summaryIfMade(day: number): DaySummary | undefined {
    const { originDay } = this.setup;
    return day >= originDay ? this.forward[day - originDay] : this.backward[originDay - 1 - day];
  }

  /** Makes every day between the origin and `day` not made yet, in order, keeping their summaries. */
  private indexThrough(day: number): void {
    const { originDay, firstDay } = this.setup;
    if (day < firstDay) throw new RangeError(`${this.symbol}: day ${day} is before the first day with data (${firstDay})`);
    const keep = (d: PathDay, list: DaySummary[]) => {
      list.push({
        open: d.open,
        close: d.close[MINUTES_PER_DAY - 1]!,
        high: d.dayHigh,
        low: d.dayLow,
        volume: d.dayVolume,
        firstActivity: d.firstActivity,
        lastActivity: d.lastActivity,
      });
      this.cache.set(`${this.params.seed}:${this.symbol}:${d.day}`, d);
    };
    if (day >= originDay) while (this.forward.length <= day - originDay) keep(this.make(originDay + this.forward.length), this.forward);
    else while (this.backward.length <= originDay - 1 - day) keep(this.make(originDay - 1 - this.backward.length), this.backward);
  }

  /** Makes day `day` from its neighbour towards the origin, which must be indexed already. */
  private make(day: number): PathDay {
    const { originDay, startTicks } = this.setup;
    if (day >= originDay) {
      const prev = day === originDay ? undefined : this.forward[day - originDay - 1]!;
      return makeDay(this.params, day, 'forward', prev?.close ?? startTicks, prev?.lastActivity ?? CALM);
    }
    const next = day === originDay - 1 ? undefined : this.backward[originDay - 2 - day]!;
    return makeDay(this.params, day, 'backward', next?.open ?? startTicks, next?.firstActivity ?? CALM);
  }
}
