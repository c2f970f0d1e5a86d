import type { LiveMarket } from '../../domain/series-id.js';

/**
 * Per-market Binance limits and URLs (sources.md tables "Binance kline WebSocket" and "Binance REST
 * klines", and its market-list notes). They are exchange facts, not tuning knobs, so they are
 * constants rather than settings; tests that need other values pass them to the classes explicitly.
 * Any thread reads them: ingest workers (streams, gap fill) and the main thread (market list).
 */
export interface MarketLimits {
  /** Streams on one connection: spot allows 1024; futures asks to keep ≤ 200. */
  readonly maxStreamsPerConnection: number;
  /** Inbound messages per second per connection (pongs and SUBSCRIBEs count); more gets the socket closed. */
  readonly inboundMsgsPerSecond: number;
  /** How often the server pings; a connection silent much longer than this is dead. */
  readonly serverPingIntervalMs: number;
  /** REST klines path and its largest `limit`. */
  readonly klinesPath: string;
  readonly klinesMaxLimit: number;
  /** Request weight per IP per minute (REQUEST_WEIGHT in exchangeInfo rateLimits). */
  readonly weightPerMinute: number;
  /** Weight of one klines request asking for `limit` rows. */
  klinesWeight(limit: number): number;
  /** 24h ticker of every symbol (no `symbol` parameter) and its weight. */
  readonly ticker24hPath: string;
  readonly ticker24hAllWeight: number;
  /** Symbols and their status, and its weight. */
  readonly exchangeInfoPath: string;
  readonly exchangeInfoWeight: number;
}

export const MARKET_LIMITS: Readonly<Record<LiveMarket, MarketLimits>> = {
  spot: {
    maxStreamsPerConnection: 1024,
    inboundMsgsPerSecond: 5,
    serverPingIntervalMs: 20_000,
    klinesPath: '/api/v3/klines',
    klinesMaxLimit: 1000,
    weightPerMinute: 6000,
    klinesWeight: () => 2,
    // Binance spot docs: ticker/24hr weighs 80 without `symbol`; exchangeInfo 20.
    ticker24hPath: '/api/v3/ticker/24hr',
    ticker24hAllWeight: 80,
    exchangeInfoPath: '/api/v3/exchangeInfo',
    exchangeInfoWeight: 20,
  },
  futures: {
    maxStreamsPerConnection: 200,
    inboundMsgsPerSecond: 10,
    serverPingIntervalMs: 180_000,
    klinesPath: '/fapi/v1/klines',
    klinesMaxLimit: 1500,
    // 2400/min: exchangeInfo rateLimits in the 2021 recording (BINANCE_FUTURES.0), sources.md "(verify)".
    weightPerMinute: 2400,
    klinesWeight: (limit) => (limit < 100 ? 1 : limit < 500 ? 2 : limit <= 1000 ? 5 : 10),
    // Binance USD-M docs: ticker/24hr weighs 40 without `symbol`; exchangeInfo 1.
    ticker24hPath: '/fapi/v1/ticker/24hr',
    ticker24hAllWeight: 40,
    exchangeInfoPath: '/fapi/v1/exchangeInfo',
    exchangeInfoWeight: 1,
  },
};

/** Binance cuts every connection after 24 h (sources.md); we rotate well before it. */
export const CONNECTION_MAX_AGE_MS = 24 * 3600_000;

/** WebSocket base URL of a market (settings binanceSpotWsUrl / binanceFuturesWsUrl), no trailing slash. */
export function wsBaseUrl(market: LiveMarket, config: { readonly binanceSpotWsUrl: string; readonly binanceFuturesWsUrl: string }): string {
  return stripSlash(market === 'spot' ? config.binanceSpotWsUrl : config.binanceFuturesWsUrl);
}

/** The REST base URL settings (binanceSpotRestUrl / binanceFuturesRestUrl). */
export interface RestUrls {
  readonly binanceSpotRestUrl: string;
  readonly binanceFuturesRestUrl: string;
}

/** REST base URL of a market (settings binanceSpotRestUrl / binanceFuturesRestUrl), no trailing slash. */
export function restBaseUrl(market: LiveMarket, config: RestUrls): string {
  return stripSlash(market === 'spot' ? config.binanceSpotRestUrl : config.binanceFuturesRestUrl);
}

/** `<base>/stream?streams=a/b/c`: the combined-stream endpoint; frames arrive as `{"stream","data"}`. */
export function combinedStreamUrl(base: string, streams: readonly string[]): string {
  return streams.length === 0 ? `${base}/stream` : `${base}/stream?streams=${streams.join('/')}`;
}

function stripSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
