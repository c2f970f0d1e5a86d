import { describe, expect, it } from 'vitest';
import { DAY_MS, intervalOf, MINUTE_MS, type Interval } from '../../../tools/fake-binance/intervals.js';
import type { Bar } from '../../../tools/fake-binance/kline-generator.js';
import { pathBar, selectPathBars } from '../../../tools/fake-binance/path-bars.js';
import { SymbolPaths } from '../../../tools/fake-binance/symbol-paths.js';

/**
 * The fake's price paths in-thread: the rebuilt trades add up to each minute, days join across
 * the origin, and every interval's bars are aggregates of the 1m bars, where Binance puts them.
 */

/** A Wednesday, 10:30 UTC: the origin day starts at 00:00 that day. */
const ORIGIN = Date.UTC(2026, 0, 14, 10, 30);
const ORIGIN_DAY = Math.floor(ORIGIN / DAY_MS) * DAY_MS;
const HISTORY_DAYS = 60;

function paths(options: { tradesPerMinute?: number; cachedDays?: number; activitySpread?: number } = {}): SymbolPaths {
  return new SymbolPaths({
    seed: 11,
    historyDays: HISTORY_DAYS,
    shared: {
      tradesPerMinute: options.tradesPerMinute ?? 12,
      tradeStep: undefined,
      minuteVolatility: 0.0015,
      activitySpread: options.activitySpread ?? 0.5,
      extraTradeProbability: 0.3,
    },
    originMs: ORIGIN,
    symbols: undefined,
    autoCreate: true,
    cachedDays: options.cachedDays ?? 64,
  });
}

const units = (v: string) => Math.round(Number(v) * 1000);
const iv = (name: string): Interval => intervalOf(name)!;
const bars = (p: SymbolPaths, symbol: string, interval: string, startTime: number, endTime: number, now = ORIGIN + 3 * DAY_MS) =>
  selectPathBars(p.pathOf(symbol, ORIGIN)!, iv(interval), { startTime, endTime, limit: 1_000_000, now });

/** Binance's way of making one bar of several: first open, last close, extremes, sums. */
function aggregate(parts: readonly Bar[]) {
  return {
    o: parts[0]!.o,
    h: parts.reduce((m, b) => (Number(b.h) > Number(m) ? b.h : m), parts[0]!.h),
    l: parts.reduce((m, b) => (Number(b.l) < Number(m) ? b.l : m), parts[0]!.l),
    c: parts.at(-1)!.c,
    v: parts.reduce((s, b) => s + units(b.v), 0),
    n: parts.reduce((s, b) => s + b.n, 0),
  };
}
const summaryOf = (b: Bar) => ({ o: b.o, h: b.h, l: b.l, c: b.c, v: units(b.v), n: b.n });

describe('price path: minutes and their trades', () => {
  it('the trades rebuilt for a minute add up to its summary exactly, whatever the trades per minute', () => {
    for (const k of [1, 2, 3, 12, 240]) {
      const path = paths({ tradesPerMinute: k }).pathOf('BTCUSDT', ORIGIN)!;
      const day = Math.floor(ORIGIN / DAY_MS) - 1;
      const d = path.day(day);
      for (let j = 0; j < 1440; j += 7) {
        const m = path.minuteTrades(day * 1440 + j);
        const open = j === 0 ? d.open : d.close[j - 1]!;
        const prices = Array.from(m.price);
        expect([m.count, m.open, prices.at(-1)]).toEqual([k, open, d.close[j]]);
        expect(Math.max(open, ...prices)).toBe(d.high[j]);
        expect(Math.min(open, ...prices)).toBe(d.low[j]);
        expect(m.cumVolume[k - 1]).toBe(d.volume[j]);
        for (let i = 1; i < k; i++) {
          expect(m.cumVolume[i]!).toBeGreaterThan(m.cumVolume[i - 1]!);
          expect(m.offsets[i]!).toBeGreaterThan(m.offsets[i - 1]!);
        }
        expect(m.offsets[k - 1]).toBe(d.late[j] === 1 ? MINUTE_MS - 1 : Math.floor(((k - 1) * MINUTE_MS) / k));
      }
    }
  });

  it('days made backward and forward join: every day opens at the close of the day before, across the origin', () => {
    const p = paths();
    const days = bars(p, 'ETHUSDT', '1d', 0, ORIGIN + 3 * DAY_MS);
    expect(days).toHaveLength(HISTORY_DAYS + 4);
    expect(days[0]!.t).toBe(ORIGIN_DAY - HISTORY_DAYS * DAY_MS);
    days.slice(1).forEach((b, i) => expect(b.o).toBe(days[i]!.c));
    days.slice(1).forEach((b, i) => expect(b.firstTrade).toBe(days[i]!.lastTrade + 1));
    const minutes = bars(p, 'ETHUSDT', '1m', ORIGIN_DAY - 3 * MINUTE_MS, ORIGIN_DAY + 2 * MINUTE_MS);
    minutes.slice(1).forEach((b, i) => expect(b.o).toBe(minutes[i]!.c));
  });

  it('a day made again after its minutes were evicted is the same day, whatever was asked before', () => {
    const roomy = paths();
    const tight = paths({ cachedDays: 1 });
    const from = ORIGIN_DAY - 20 * DAY_MS;
    // Different orders and evictions: deep history of other symbols first on one side only.
    bars(tight, 'SOLUSDT', '1h', 0, ORIGIN);
    bars(tight, 'BTCUSDT', '1d', 0, ORIGIN);
    const a = bars(roomy, 'BTCUSDT', '15m', from, from + 3 * DAY_MS);
    const b = bars(tight, 'BTCUSDT', '15m', from, from + 3 * DAY_MS);
    expect(b).toEqual(a);
    expect(bars(tight, 'BTCUSDT', '15m', from, from + 3 * DAY_MS)).toEqual(a);
  });
});

describe('price path: bars of every interval', () => {
  it('every interval from 3m to 1d is the aggregate of its 1m bars, over a whole day', () => {
    const p = paths();
    const day = ORIGIN_DAY - 5 * DAY_MS;
    const ones = bars(p, 'BTCUSDT', '1m', day, day + DAY_MS - 1);
    expect(ones).toHaveLength(1440);
    for (const name of ['3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d']) {
      const big = bars(p, 'BTCUSDT', name, day, day + DAY_MS - 1);
      expect(big.length * iv(name).fixedMs!).toBe(DAY_MS);
      for (const b of big) {
        const parts = ones.filter((o) => o.t >= b.t && o.t <= b.T);
        expect(summaryOf(b)).toEqual(aggregate(parts));
        expect([b.firstTrade, b.lastTrade]).toEqual([parts[0]!.firstTrade, parts.at(-1)!.lastTrade]);
      }
    }
  });

  it('1s bars (spot) aggregate into the 1m bar; a second without trades stays at the last price', () => {
    const p = paths({ tradesPerMinute: 12 });
    const from = ORIGIN_DAY + 3 * 3_600_000;
    const seconds = bars(p, 'BTCUSDT', '1s', from, from + 10 * MINUTE_MS - 1);
    expect(seconds).toHaveLength(600);
    const minutes = bars(p, 'BTCUSDT', '1m', from, from + 9 * MINUTE_MS);
    for (const m of minutes) expect(aggregate(seconds.filter((s) => s.t >= m.t && s.t <= m.T))).toEqual(summaryOf(m));
    const quiet = seconds.filter((s) => s.n === 0);
    expect(quiet.length).toBeGreaterThan(400); // 12 trades a minute: most seconds have none
    for (const s of quiet) expect([s.h, s.l, s.c, s.v]).toEqual([s.o, s.o, s.o, '0.000']);
  });

  it('3d, 1w and 1M bars sit where Binance puts them and aggregate their days', () => {
    const p = paths();
    // Up to the default "now" (3 days after the origin): the last bars are still forming.
    const days = bars(p, 'BTCUSDT', '1d', 0, ORIGIN + 3 * DAY_MS);
    const first = days[0]!.t;
    for (const name of ['3d', '1w', '1M']) {
      const big = bars(p, 'BTCUSDT', name, 0, ORIGIN);
      for (const b of big) {
        const parts = days.filter((d) => d.t >= b.t && d.t <= b.T);
        expect(summaryOf(b)).toEqual(aggregate(parts));
        // The first bar may start before the history does: it holds what there is, opening on time.
        if (b.t < first) expect(parts[0]!.t).toBe(first);
        expect(b.T + 1).toBe(iv(name).nextOpen(b.t));
      }
      const opens = big.map((b) => new Date(b.t));
      if (name === '3d') for (const b of big) expect(b.t % (3 * DAY_MS)).toBe(0);
      if (name === '1w') for (const d of opens) expect([d.getUTCDay(), d.getUTCHours()]).toEqual([1, 0]);
      if (name === '1M') for (const d of opens) expect([d.getUTCDate(), d.getUTCHours()]).toEqual([1, 0]);
    }
    // January 2026 has 31 days; its bar closes at the last ms of the 31st.
    const january = bars(p, 'BTCUSDT', '1M', Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1))[0]!;
    expect(january.T).toBe(Date.UTC(2026, 1, 1) - 1);
  });

  it('a window at any times (a rolling 24h ticker) is the aggregate of its pieces, down to single trades', () => {
    const p = paths({ tradesPerMinute: 30 });
    const path = p.pathOf('BTCUSDT', ORIGIN)!;
    const to = ORIGIN + 1_234;
    const from = to - DAY_MS;
    const now = to + 5_000;
    const [headEnd, tailStart] = [Math.ceil(from / 1000) * 1000, Math.floor(to / 1000) * 1000];
    // Day summaries and whole minutes on one side; the trades of 86,400 one-second bars and two
    // sub-second pieces on the other.
    const pieces = [pathBar(path, from, headEnd, now)!, ...bars(p, 'BTCUSDT', '1s', headEnd, tailStart - 1, now), pathBar(path, tailStart, to, now)!];
    expect(pieces).toHaveLength(86_401);
    const window = pathBar(path, from, to, now)!;
    expect(summaryOf(window)).toEqual(aggregate(pieces));
    expect([window.t, window.T]).toEqual([from, to - 1]);
  });

  it('a forming bar holds the trades made by now; the closed bar completes it', () => {
    const path = paths({ tradesPerMinute: 240 }).pathOf('BTCUSDT', ORIGIN)!;
    const five = iv('5m');
    const open = five.openOf(ORIGIN);
    const closed = pathBar(path, open, five.nextOpen(open), Infinity)!;
    let before = pathBar(path, open, five.nextOpen(open), open)!;
    expect(before.n).toBe(1); // the first trade comes at the bar's open instant
    for (let now = open + 1_000; now < five.nextOpen(open); now += 1_000) {
      const b = pathBar(path, open, five.nextOpen(open), now)!;
      expect(b.o).toBe(closed.o);
      expect(b.n).toBeGreaterThanOrEqual(before.n);
      expect(units(b.v)).toBeGreaterThanOrEqual(units(before.v));
      expect(Number(b.h)).toBeGreaterThanOrEqual(Number(before.h));
      expect(Number(b.l)).toBeLessThanOrEqual(Number(before.l));
      before = b;
    }
    expect(before.n).toBeLessThanOrEqual(closed.n);
    expect(pathBar(path, open, five.nextOpen(open), five.nextOpen(open) - 1)).toEqual(closed);
  });
});
