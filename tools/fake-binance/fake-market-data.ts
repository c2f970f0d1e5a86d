import type { KlineGenerator } from './kline-generator.js';
import type { FakeMarket, FakeRest, RestReply } from './fake-rest.js';
import { DELIVERY_SUFFIX, listedSymbols, splitSymbol, type ListedSymbol } from './market-universe.js';

/**
 * The fake's market-data endpoints with Binance's shapes (decimals as strings; sources.md "Market
 * list"): `GET /api/v3/ticker/24hr`, `/fapi/v1/ticker/24hr` (every symbol, or one with `symbol`)
 * and `GET /api/v3/exchangeInfo`, `/fapi/v1/exchangeInfo`. They charge the same per-IP weight
 * budget as klines (FakeRest.admit). Weights are written out here again, not imported from the
 * client, so a wrong table in the client fails the tests instead of agreeing with itself.
 *
 * Listed symbols come from market-universe.ts (or the fake's `symbols` option, when it limits a
 * market), plus every symbol the kline generator streams. A ticker is the symbol's price path
 * aggregated over the 24 h before the fake's now (KlineGenerator.window): the same path its klines
 * are cut from, so the list and a chart of the symbol agree, and a paused fake answers the same.
 * `failNext` makes the next calls fail (5xx, 429) for tests.
 */

export type MarketDataEndpoint = 'ticker24h' | 'exchangeInfo';

const ROUTES: Readonly<Record<string, { market: FakeMarket; endpoint: MarketDataEndpoint }>> = {
  '/api/v3/ticker/24hr': { market: 'spot', endpoint: 'ticker24h' },
  '/fapi/v1/ticker/24hr': { market: 'futures', endpoint: 'ticker24h' },
  '/api/v3/exchangeInfo': { market: 'spot', endpoint: 'exchangeInfo' },
  '/fapi/v1/exchangeInfo': { market: 'futures', endpoint: 'exchangeInfo' },
};

/** Binance docs: spot ticker/24hr 2 per symbol asked, 80 for all; futures 1 / 40; exchangeInfo spot 20, futures 1. */
function weightOf(market: FakeMarket, endpoint: MarketDataEndpoint, oneSymbol: boolean): number {
  if (endpoint === 'exchangeInfo') return market === 'spot' ? 20 : 1;
  if (market === 'spot') return oneSymbol ? 2 : 80;
  return oneSymbol ? 1 : 40;
}

const DAY_MS = 86_400_000;
/** Binance's deliveryDate of perpetual contracts (year 2100). */
const PERPETUAL_DELIVERY_MS = 4_133_404_800_000;
const DELIVERY_MS = Date.UTC(2026, 11, 25, 8);

export interface MarketDataCall {
  readonly endpoint: MarketDataEndpoint;
  readonly market: FakeMarket;
  readonly status: number;
  readonly at: number;
}

export class FakeMarketData {
  readonly log: MarketDataCall[] = [];
  /** Real ms every answer is held back (a slow exchange; default 0). */
  latencyMs = 0;
  private injected: { count: number; status: number; retryAfterS: number; endpoint?: MarketDataEndpoint } | undefined;

  constructor(
    private readonly generators: Record<FakeMarket, KlineGenerator>,
    private readonly virtualNow: () => number,
    private readonly rest: FakeRest,
    /** FakeBinanceOptions.symbols: per market, the only symbols that exist. */
    private readonly only: Partial<Record<FakeMarket, readonly string[]>> = {},
  ) {}

  /** The endpoint a path names, if it is one of ours. */
  static route(pathname: string): { market: FakeMarket; endpoint: MarketDataEndpoint } | undefined {
    return ROUTES[pathname];
  }

  /** The next `count` calls (of `endpoint`, or of both) are answered `status` (5xx, 429 with Retry-After). */
  failNext(count: number, status = 500, retryAfterS = 1, endpoint?: MarketDataEndpoint): void {
    this.injected = { count, status, retryAfterS, endpoint };
  }

  /** Calls of one endpoint and market so far. */
  calls(endpoint: MarketDataEndpoint, market: FakeMarket): number {
    return this.log.filter((c) => c.endpoint === endpoint && c.market === market).length;
  }

  handle(market: FakeMarket, endpoint: MarketDataEndpoint, query: URLSearchParams): RestReply {
    const reply = this.answer(market, endpoint, query);
    this.log.push({ endpoint, market, status: reply.status, at: Date.now() });
    return reply;
  }

  /** Every symbol listed now: the universe (or the `symbols` option) plus the generator's streams. */
  symbols(market: FakeMarket): ListedSymbol[] {
    const gen = this.generators[market];
    const restricted = this.only[market];
    const base: ListedSymbol[] = restricted
      ? restricted.flatMap((symbol) => {
          const parts = splitSymbol(symbol);
          return parts ? [{ symbol, ...parts, status: 'TRADING' as const, ...(market === 'futures' ? { contractType: 'PERPETUAL' as const } : {}) }] : [];
        })
      : listedSymbols(market);
    const out = base.filter((s) => gen.hasSymbol(s.symbol));
    const known = new Set(out.map((s) => s.symbol));
    for (const stream of gen.streamNames()) {
      const symbol = stream.slice(0, stream.indexOf('@')).toUpperCase();
      const parts = splitSymbol(symbol);
      if (known.has(symbol) || !parts) continue;
      known.add(symbol);
      out.push({ symbol, ...parts, status: 'TRADING', ...(market === 'futures' ? { contractType: 'PERPETUAL' as const } : {}) });
    }
    return out;
  }

  /** The 24h ticker rows Binance would send now (every listed symbol with a price). */
  tickers(market: FakeMarket): Record<string, unknown>[] {
    const now = this.virtualNow();
    return this.symbols(market).flatMap((s) => {
      const row = this.tickerOf(market, s, now);
      return row ? [row] : [];
    });
  }

  private answer(market: FakeMarket, endpoint: MarketDataEndpoint, query: URLSearchParams): RestReply {
    const one = query.get('symbol');
    const injected = this.injected;
    if (injected && injected.count > 0 && (injected.endpoint === undefined || injected.endpoint === endpoint)) {
      injected.count--;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (injected.status === 429 || injected.status === 418) headers['retry-after'] = String(injected.retryAfterS);
      return { status: injected.status, headers, body: JSON.stringify({ code: -1003, msg: `injected failure ${injected.status}` }) };
    }
    const admitted = this.rest.admit(market, weightOf(market, endpoint, one !== null));
    if ('refused' in admitted) return admitted.refused;
    const ok = (body: unknown): RestReply => ({ status: 200, headers: admitted.headers, body: JSON.stringify(body) });
    if (endpoint === 'exchangeInfo') return ok(this.exchangeInfo(market));
    if (one === null) return ok(this.tickers(market));
    const listed = this.symbols(market).find((s) => s.symbol === one);
    const row = listed && this.tickerOf(market, listed, this.virtualNow());
    if (!row) return { status: 400, headers: admitted.headers, body: JSON.stringify({ code: -1121, msg: 'Invalid symbol.' }) };
    return ok(row);
  }

  /** Binance's 24h ticker of a symbol: its price path over [now − 24 h, now). */
  private tickerOf(market: FakeMarket, s: ListedSymbol, now: number): Record<string, unknown> | undefined {
    const day = this.generators[market].window(s.symbol, now - DAY_MS, now, now);
    if (!day) return undefined;
    const dec = decimalsOf(day.c);
    const [open, high, low, last, volume] = [+day.o, +day.h, +day.l, +day.c, +day.v];
    // The path has no quote volume of its own: base volume at the day's typical price.
    const quoteVolume = volume * ((high + low + last) / 3);
    const change = last - open;
    return {
      symbol: s.symbol,
      priceChange: change.toFixed(dec),
      priceChangePercent: (open > 0 ? (100 * change) / open : 0).toFixed(3),
      weightedAvgPrice: (volume > 0 ? quoteVolume / volume : last).toFixed(dec),
      ...(market === 'spot' ? { prevClosePrice: day.o } : {}),
      lastPrice: day.c,
      lastQty: '1.000',
      ...(market === 'spot' ? { bidPrice: day.c, bidQty: '2.000', askPrice: day.c, askQty: '3.000' } : {}),
      openPrice: day.o,
      highPrice: day.h,
      lowPrice: day.l,
      volume: day.v,
      quoteVolume: quoteVolume.toFixed(2),
      openTime: now - DAY_MS,
      closeTime: now,
      firstId: day.firstTrade,
      lastId: day.lastTrade,
      count: day.n,
    };
  }

  /** A symbol's tick size, as its path formats prices (the last minute's close). */
  private priceDecimals(market: FakeMarket, symbol: string, now: number): number {
    const minute = this.generators[market].window(symbol, now - 60_000, now, now);
    return minute ? decimalsOf(minute.c) : 4;
  }

  private exchangeInfo(market: FakeMarket): Record<string, unknown> {
    const serverTime = this.virtualNow();
    const symbols = this.symbols(market).map((s) => {
      const decimals = this.priceDecimals(market, s.symbol, serverTime);
      const tick = (10 ** -decimals).toFixed(decimals);
      const filters = [{ filterType: 'PRICE_FILTER', minPrice: tick, maxPrice: '1000000.00', tickSize: tick }];
      if (market === 'spot') {
        return {
          symbol: s.symbol,
          status: s.status,
          baseAsset: s.base,
          baseAssetPrecision: 8,
          quoteAsset: s.quote,
          quotePrecision: 8,
          quoteAssetPrecision: 8,
          orderTypes: ['LIMIT', 'MARKET'],
          isSpotTradingAllowed: true,
          isMarginTradingAllowed: false,
          permissions: [],
          filters,
        };
      }
      return {
        symbol: s.symbol,
        pair: `${s.base}${s.quote}`,
        contractType: s.contractType ?? 'PERPETUAL',
        deliveryDate: s.symbol.endsWith(`_${DELIVERY_SUFFIX}`) ? DELIVERY_MS : PERPETUAL_DELIVERY_MS,
        onboardDate: 1_569_398_400_000,
        status: s.status,
        baseAsset: s.base,
        quoteAsset: s.quote,
        marginAsset: s.quote,
        pricePrecision: decimals,
        quantityPrecision: 3,
        baseAssetPrecision: 8,
        quotePrecision: 8,
        underlyingType: 'COIN',
        filters,
        orderTypes: ['LIMIT', 'MARKET'],
        timeInForce: ['GTC', 'IOC'],
      };
    });
    const weightLimit = market === 'spot' ? 6000 : 2400;
    return {
      timezone: 'UTC',
      serverTime,
      ...(market === 'futures' ? { futuresType: 'U_MARGINED' } : {}),
      rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: weightLimit }],
      exchangeFilters: [],
      ...(market === 'futures' ? { assets: [{ asset: 'USDT', marginAvailable: true }] } : {}),
      symbols,
    };
  }
}

function decimalsOf(price: string): number {
  const dot = price.indexOf('.');
  return dot < 0 ? 0 : price.length - dot - 1;
}
