/**
 * The klines request as Binance reads it (sources.md "Binance REST klines"): which parameters are
 * mandatory, their legal forms, the per-market interval list and limit, and the error each mistake
 * gets (HTTP 400 with `{"code","msg"}`). fake-rest.ts charges weight first, then asks this, then
 * asks the market's KlineSource (a generator's price paths, or a replayed recording) for rows.
 */
import type { FakeMarket } from './fake-rest.js';
import { marketInterval, type Interval } from './intervals.js';
import type { Bar } from './kline-generator.js';
import type { BarQuery } from './path-bars.js';

/** Where a market's REST rows come from. */
export interface KlineSource {
  /** False for a symbol the exchange does not list (-1121). */
  hasSymbol(symbol: string): boolean;
  klines(symbol: string, interval: Interval, query: BarQuery): readonly Bar[];
  /** Told of every valid request's stream (the generator starts it, so tests can read its history()). */
  touch?(stream: string, now: number): void;
}

export interface KlineRequest {
  readonly symbol: string;
  readonly interval: Interval;
  readonly startTime: number | undefined;
  readonly endTime: number | undefined;
  readonly limit: number;
}

export type Parsed = { readonly ok: true; readonly request: KlineRequest } | { readonly ok: false; readonly code: number; readonly msg: string };

export const MAX_LIMIT: Readonly<Record<FakeMarket, number>> = { spot: 1000, futures: 1500 };
export const DEFAULT_LIMIT = 500;
const SYMBOL_RANGE = '^[A-Z0-9-_.]{1,20}$';
const TIME_RE = /^[0-9]{1,20}$/;

const fail = (code: number, msg: string): Parsed => ({ ok: false, code, msg });

export function parseKlineRequest(market: FakeMarket, p: Readonly<Record<string, string>>): Parsed {
  const limit = p.limit === undefined ? DEFAULT_LIMIT : Number(p.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT[market]) return fail(-1130, "Data sent for parameter 'limit' is not valid.");
  if (!p.symbol || !p.interval) return fail(-1102, 'Mandatory parameter was not sent, was empty/null, or malformed.');
  if (!new RegExp(SYMBOL_RANGE).test(p.symbol)) return fail(-1100, `Illegal characters found in parameter 'symbol'; legal range is '${SYMBOL_RANGE}'.`);
  const interval = marketInterval(market, p.interval);
  if (!interval) return fail(-1120, 'Invalid interval.');
  const times: (number | undefined)[] = [];
  for (const name of ['startTime', 'endTime'] as const) {
    const raw = p[name];
    if (raw !== undefined && !TIME_RE.test(raw)) return fail(-1100, `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.`);
    times.push(raw === undefined ? undefined : Number(raw));
  }
  const [startTime, endTime] = times;
  return { ok: true, request: { symbol: p.symbol, interval, startTime, endTime, limit } };
}

/**
 * The same selection over a list of closed bars (a replayed recording): from startTime forward,
 * else the newest rows up to endTime; `limit` rows; skipped open times are left out, not counted.
 */
export function selectListed(all: readonly Bar[], q: BarQuery): Bar[] {
  const bars = q.skip ? all.filter((b) => !q.skip!(b.t)) : all;
  let lo = 0;
  let hi = bars.length;
  if (q.startTime !== undefined) while (lo < hi && bars[lo]!.t < q.startTime) lo++;
  if (q.endTime !== undefined) while (hi > lo && bars[hi - 1]!.t > q.endTime) hi--;
  return q.startTime !== undefined ? bars.slice(lo, Math.min(hi, lo + q.limit)) : bars.slice(Math.max(lo, hi - q.limit), hi);
}
