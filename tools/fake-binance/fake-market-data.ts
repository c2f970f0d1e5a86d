import type { Bar, KlineGenerator } from './kline-generator.js';
import type { FakeMarket, FakeRest, RestReply } from './fake-rest.js';
import { DELIVERY_SUFFIX, listedSymbols, pathPrice, pathQuoteVolume, splitSymbol, type ListedSymbol } from './market-universe.js';

/**
 * The fake's market-data endpoints with Binance's shapes (decimals as strings; sources.md "Market
 * list"): `GET /api/v3/ticker/24hr`, `/fapi/v1/ticker/24hr` (every symbol, or one with `symbol`)
 * and `GET /api/v3/exchangeInfo`, `/fapi/v1/exchangeInfo`. They charge the same per-IP weight
 * budget as klines (FakeRest.admit). Weights are written out here again, not imported from the
 * client, so a wrong table in the client fails the tests instead of agreeing with itself.
 *
 * Listed symbols come from market-universe.ts; every symbol the kline generator streams is listed
 * too and priced from its own bars. `failNext` makes the next calls fail (5xx, 429) for tests.
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
/** Average trade size (quote units) for the synthetic trade count. */
const QUOTE_PER_TRADE = 2_500;

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
  private readonly listed: Record<FakeMarket, ListedSymbol[]>;
  private injected: { count: number; status: number; retryAfterS: number; endpoint?: MarketDataEndpoint } | undefined;

  constructor(
    private readonly generators: Record<FakeMarket, KlineGenerator>,
    private readonly virtualNow: () => number,
    private readonly rest: FakeRest,
    seed: number,
  ) {
    this.listed = { spot: listedSymbols('spot', seed), futures: listedSymbols('futures', seed) };
  }

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

  /** Every symbol listed now: the universe plus the generator's streams with a known quote asset. */
  symbols(market: FakeMarket): ListedSymbol[] {
    const out = [...this.listed[market]];
    const known = new Set(out.map((s) => s.symbol));
    for (const stream of this.generators[market].streamNames()) {
      const symbol = stream.slice(0, stream.indexOf('@')).toUpperCase();
      const parts = splitSymbol(symbol);
      if (known.has(symbol) || !parts) continue;
      known.add(symbol);
      const bar = this.generators[market].formingBar(stream)!;
      out.push({ ...this.listed[market][0]!, symbol, ...parts, refPrice: +bar.c, refQuoteVolume: 0, priceDecimals: decimalsOf(bar.c) });
    }
    return out;
  }

  /** The 24h ticker rows Binance would send now (every symbol of the market). */
  tickers(market: FakeMarket): Record<string, unknown>[] {
    const now = this.virtualNow();
    return this.symbols(market).map((s) => this.tickerOf(market, s, now));
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
    if (!listed) return { status: 400, headers: admitted.headers, body: JSON.stringify({ code: -1121, msg: 'Invalid symbol.' }) };
    return ok(this.tickerOf(market, listed, this.virtualNow()));
  }

  private tickerOf(market: FakeMarket, s: ListedSymbol, now: number): Record<string, unknown> {
    const day = this.fromBars(market, s.symbol, now) ?? this.fromPath(s, now);
    const dec = day.decimals;
    const change = day.last - day.open;
    const count = Math.max(1, Math.round(day.quoteVolume / QUOTE_PER_TRADE));
    const row: Record<string, unknown> = {
      symbol: s.symbol,
      priceChange: change.toFixed(dec),
      priceChangePercent: ((100 * change) / day.open).toFixed(3),
      weightedAvgPrice: (day.volume > 0 ? day.quoteVolume / day.volume : day.last).toFixed(dec),
      ...(market === 'spot' ? { prevClosePrice: day.open.toFixed(dec) } : {}),
      lastPrice: day.last.toFixed(dec),
      lastQty: '1.000',
      ...(market === 'spot' ? { bidPrice: day.last.toFixed(dec), bidQty: '2.000', askPrice: day.last.toFixed(dec), askQty: '3.000' } : {}),
      openPrice: day.open.toFixed(dec),
      highPrice: day.high.toFixed(dec),
      lowPrice: day.low.toFixed(dec),
      volume: day.volume.toFixed(3),
      quoteVolume: day.quoteVolume.toFixed(2),
      openTime: now - DAY_MS,
      closeTime: now,
      firstId: 1_000_000,
      lastId: 1_000_000 + count - 1,
      count,
    };
    return row;
  }

  /** A symbol's 24h from its path: open a day ago, high and low from hourly samples. */
  private fromPath(s: ListedSymbol, now: number): DayStats {
    const samples = Array.from({ length: 25 }, (_, i) => pathPrice(s, now - DAY_MS + i * (DAY_MS / 24)));
    const quoteVolume = pathQuoteVolume(s, now);
    const last = samples[24]!;
    const [high, low] = [Math.max(...samples), Math.min(...samples)];
    return { open: samples[0]!, last, high, low, quoteVolume, volume: quoteVolume / last, decimals: s.priceDecimals };
  }

  /** A symbol the generator streams: its bars of the last day (the 1m stream when there is one). */
  private fromBars(market: FakeMarket, symbol: string, now: number): DayStats | undefined {
    const gen = this.generators[market];
    const prefix = `${symbol.toLowerCase()}@kline_`;
    const streams = gen.streamNames().filter((n) => n.startsWith(prefix));
    const stream = streams.find((n) => n.endsWith('_1m')) ?? streams[0];
    if (stream === undefined) return undefined;
    const bars: Bar[] = gen.history(stream).filter((b) => b.t >= now - DAY_MS);
    const forming = gen.formingBar(stream);
    if (forming && forming.n > 0) bars.push(forming);
    if (bars.length === 0) return undefined;
    const volume = bars.reduce((v, b) => v + +b.v, 0);
    return {
      open: +bars[0]!.o,
      last: +bars.at(-1)!.c,
      high: Math.max(...bars.map((b) => +b.h)),
      low: Math.min(...bars.map((b) => +b.l)),
      volume,
      quoteVolume: bars.reduce((q, b) => q + +b.v * +b.c, 0),
      decimals: decimalsOf(bars.at(-1)!.c),
    };
  }

  private exchangeInfo(market: FakeMarket): Record<string, unknown> {
    const serverTime = this.virtualNow();
    const symbols = this.symbols(market).map((s) => {
      const tick = (10 ** -s.priceDecimals).toFixed(s.priceDecimals);
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
        pricePrecision: s.priceDecimals,
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

interface DayStats {
  readonly open: number;
  readonly last: number;
  readonly high: number;
  readonly low: number;
  readonly volume: number;
  readonly quoteVolume: number;
  /** Price decimals of the answer: the symbol's tick, or its bars' own. */
  readonly decimals: number;
}

function decimalsOf(price: string): number {
  const dot = price.indexOf('.');
  return dot < 0 ? 0 : price.length - dot - 1;
}
