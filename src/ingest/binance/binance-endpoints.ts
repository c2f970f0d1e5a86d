import type { Config } from '../../main/config/settings.js';
import type { LiveMarket } from '../../domain/series-id.js';

/**
 * Per-market Binance limits and URLs (sources.md tables "Binance kline WebSocket" and "Binance REST
 * klines"). They are exchange facts, not tuning knobs, so they are constants rather than settings;
 * tests that need other values pass them to the classes explicitly.
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
  },
};

/** Binance cuts every connection after 24 h (sources.md); we rotate well before it. */
export const CONNECTION_MAX_AGE_MS = 24 * 3600_000;

/** WebSocket base URL of a market (settings binanceSpotWsUrl / binanceFuturesWsUrl), no trailing slash. */
export function wsBaseUrl(market: LiveMarket, config: Pick<Config, 'binanceSpotWsUrl' | 'binanceFuturesWsUrl'>): string {
  return stripSlash(market === 'spot' ? config.binanceSpotWsUrl : config.binanceFuturesWsUrl);
}

/** REST base URL of a market (settings binanceSpotRestUrl / binanceFuturesRestUrl), no trailing slash. */
export function restBaseUrl(market: LiveMarket, config: Pick<Config, 'binanceSpotRestUrl' | 'binanceFuturesRestUrl'>): string {
  return stripSlash(market === 'spot' ? config.binanceSpotRestUrl : config.binanceFuturesRestUrl);
}

/** `<base>/stream?streams=a/b/c`: the combined-stream endpoint; frames arrive as `{"stream","data"}`. */
export function combinedStreamUrl(base: string, streams: readonly string[]): string {
  return streams.length === 0 ? `${base}/stream` : `${base}/stream?streams=${streams.join('/')}`;
}

function stripSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}
