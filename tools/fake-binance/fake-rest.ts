import type { Bar } from './kline-generator.js';
import { DEFAULT_LIMIT, MAX_LIMIT, parseKlineRequest, type KlineSource } from './rest-klines.js';

/**
 * The fake's REST klines endpoints, `GET /api/v3/klines` (spot) and `GET /fapi/v1/klines`
 * (futures), with Binance's parameters, row format and rate-limit signals (sources.md "Binance
 * REST klines"): weights per request, `X-MBX-USED-WEIGHT-1M` on every answer, 429 + Retry-After
 * past the per-minute budget, 418 for a client that keeps calling during a Retry-After.
 * Weights are written out here again, not imported from the client, so a wrong table in the
 * client fails the tests instead of agreeing with itself.
 */

export type FakeMarket = 'spot' | 'futures';

export interface RestReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface RestLogEntry {
  readonly market: FakeMarket;
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
  readonly rows: number;
  readonly at: number;
}

export interface RestLimits {
  /** Weight budget per minute per market (spot 6000, futures 2400). */
  readonly weightPerMinute?: Partial<Record<FakeMarket, number>>;
  /** Ban length after ignoring a Retry-After (Binance: 2 min to 3 days; default 120 s). */
  readonly banSeconds?: number;
  /**
   * Real time (ms) of the per-IP rules: the used-weight minute and Retry-After windows run on the
   * wall clock, as Binance's do (default Date.now). A test that must not see a minute roll over
   * in the middle of it passes its own.
   */
  readonly wallClock?: () => number;
}

function weightOf(market: FakeMarket, limit: number): number {
  if (market === 'spot') return 2;
  return limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10;
}

export class FakeRest {
  readonly log: RestLogEntry[] = [];
  /** Real ms every klines answer is held back (a slow exchange; default 0). */
  latencyMs = 0;
  /** Klines requests received and not yet answered (latencyMs holds them), and the most at once. */
  inFlight = 0;
  peakInFlight = 0;
  private readonly used: Record<FakeMarket, { minute: number; weight: number }> = { spot: { minute: 0, weight: 0 }, futures: { minute: 0, weight: 0 } };
  private readonly budget: Record<FakeMarket, number>;
  private readonly banSeconds: number;
  /** Per market: real time until which the client was told to wait. */
  private readonly retryUntil: Record<FakeMarket, number> = { spot: 0, futures: 0 };
  private injected: { count: number; status: number; retryAfterS: number; after: number } | undefined;
  /** Per `<market>:<stream>`: open-time ranges (ms, inclusive) REST pretends never existed. */
  private readonly holes = new Map<string, [number, number][]>();
  private readonly wallNow: () => number;

  constructor(
    private readonly sources: Record<FakeMarket, KlineSource>,
    private readonly virtualNow: () => number,
    limits: RestLimits = {},
  ) {
    this.budget = { spot: limits.weightPerMinute?.spot ?? 6000, futures: limits.weightPerMinute?.futures ?? 2400 };
    this.banSeconds = limits.banSeconds ?? 120;
    this.wallNow = limits.wallClock ?? Date.now;
  }

  requestArrived(): void {
    this.peakInFlight = Math.max(this.peakInFlight, ++this.inFlight);
  }

  requestAnswered(): void {
    this.inFlight--;
  }

  /**
   * The next `count` klines calls are answered with `status` (429 or 418) and `Retry-After:
   * retryAfterS` — after `after` more calls answered as usual (an outage in the middle of paging).
   */
  failNext(count: number, status = 429, retryAfterS = 1, after = 0): void {
    this.injected = { count, status, retryAfterS, after };
  }

  /**
   * An exchange-side hole (maintenance window, sources.md): bars of `stream` opening in
   * `fromMs`..`toMs` are left out of every answer, as Binance does for data it does not have.
   * The WebSocket side is unaffected; `clearHoles()` ends it.
   */
  addHole(market: FakeMarket, stream: string, fromMs: number, toMs: number): void {
    const key = `${market}:${stream}`;
    this.holes.set(key, [...(this.holes.get(key) ?? []), [fromMs, toMs]]);
  }

  clearHoles(): void {
    this.holes.clear();
  }

  handle(market: FakeMarket, query: URLSearchParams): RestReply {
    const params = Object.fromEntries(query);
    const { rows, ...reply } = this.answer(market, params);
    this.log.push({ market, params, status: reply.status, rows: rows ?? 0, at: this.wallNow() });
    return reply;
  }

  private answer(market: FakeMarket, p: Record<string, string>): RestReply & { rows?: number } {
    const now = this.wallNow();
    const limit = p.limit === undefined ? DEFAULT_LIMIT : Number(p.limit);
    if (this.injected && this.injected.after > 0) {
      this.injected.after--;
    } else if (this.injected && this.injected.count > 0) {
      this.injected.count--;
      this.retryUntil[market] = now + this.injected.retryAfterS * 1000;
      return this.limited(market, this.injected.status, this.injected.retryAfterS);
    }
    if (now < this.retryUntil[market]) {
      // Calling again inside a Retry-After window is what gets an IP banned (418).
      this.retryUntil[market] = now + this.banSeconds * 1000;
      return this.limited(market, 418, this.banSeconds);
    }
    const weight = this.charge(market, Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_LIMIT, now);
    if (weight > this.budget[market]) {
      const retryAfterS = Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
      this.retryUntil[market] = now + retryAfterS * 1000;
      return this.limited(market, 429, retryAfterS);
    }
    const parsed = parseKlineRequest(market, p);
    if (!parsed.ok) return this.error(market, parsed.code, parsed.msg);
    const { symbol, interval, startTime, endTime } = parsed.request;
    const source = this.sources[market];
    if (!source.hasSymbol(symbol)) return this.error(market, -1121, 'Invalid symbol.');
    const stream = `${symbol.toLowerCase()}@kline_${interval.name}`;
    const exchangeNow = this.virtualNow();
    source.touch?.(stream, exchangeNow);
    const holes = this.holes.get(`${market}:${stream}`) ?? [];
    const skip = holes.length === 0 ? undefined : (t: number) => holes.some(([from, to]) => t >= from && t <= to);
    const rows = source.klines(symbol, interval, { startTime, endTime, limit: parsed.request.limit, now: exchangeNow, skip }).map(klineRow);
    return { status: 200, headers: this.weightHeader(market), body: JSON.stringify(rows), rows: rows.length };
  }

  /**
   * The per-IP rules for another endpoint of the same host (fake-market-data.ts): charges `weight`
   * to the same per-minute budget; a refusal (418 inside a Retry-After, 429 past the budget) or the
   * weight header of an admitted call.
   */
  admit(market: FakeMarket, weight: number): { refused: RestReply } | { headers: Record<string, string> } {
    const now = this.wallNow();
    if (now < this.retryUntil[market]) {
      this.retryUntil[market] = now + this.banSeconds * 1000;
      return { refused: this.limited(market, 418, this.banSeconds) };
    }
    const u = this.used[market];
    if (u.minute !== Math.floor(now / 60_000)) Object.assign(u, { minute: Math.floor(now / 60_000), weight: 0 });
    u.weight += weight;
    if (u.weight > this.budget[market]) {
      const retryAfterS = Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
      this.retryUntil[market] = now + retryAfterS * 1000;
      return { refused: this.limited(market, 429, retryAfterS) };
    }
    return { headers: this.weightHeader(market) };
  }

  private charge(market: FakeMarket, limit: number, now: number): number {
    const u = this.used[market];
    const minute = Math.floor(now / 60_000);
    if (u.minute !== minute) {
      u.minute = minute;
      u.weight = 0;
    }
    u.weight += weightOf(market, Math.min(limit, MAX_LIMIT[market]));
    return u.weight;
  }

  private weightHeader(market: FakeMarket): Record<string, string> {
    return { 'content-type': 'application/json', 'x-mbx-used-weight-1m': String(this.used[market].weight) };
  }

  private limited(market: FakeMarket, status: number, retryAfterS: number): RestReply {
    const msg = status === 418 ? 'IP banned until later for ignoring Retry-After.' : 'Too many requests; current limit is exceeded.';
    return { status, headers: { ...this.weightHeader(market), 'retry-after': String(retryAfterS) }, body: JSON.stringify({ code: -1003, msg }) };
  }

  private error(market: FakeMarket, code: number, msg: string): RestReply {
    return { status: 400, headers: this.weightHeader(market), body: JSON.stringify({ code, msg }) };
  }
}

/** `[openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBase, takerQuote, ignore]`. */
export function klineRow(b: Bar): unknown[] {
  return [b.t, b.o, b.h, b.l, b.c, b.v, b.T, '0', b.n, '0', '0', '0'];
}
