import type { KlineFrame } from '../../domain/kline-frame.js';
import type { Logger } from '../../shared/log.js';
import type { BackoffOptions } from '../../shared/backoff.js';
import { CONNECTION_MAX_AGE_MS } from '../../exchange/binance/binance-endpoints.js';
import type { Clock } from '../../shared/clock.js';

/** Options, defaults (each with its reason) and stats of binance-stream.ts. */
export interface BinanceStreamOptions {
  /** Market base URL, e.g. `wss://fstream.binance.com/market` (binance-endpoints.ts wsBaseUrl). */
  readonly baseUrl: string;
  /** Inbound message limit of the market (MARKET_LIMITS). */
  readonly inboundMsgsPerSecond: number;
  /** Server ping interval of the market (MARKET_LIMITS; default 20 s): pongs count against the limit. */
  readonly serverPingIntervalMs?: number;
  /** Deduplicated klines, in arrival order; the frame is reused for the next one (copy what must outlive the call). */
  readonly onKline: (frame: KlineFrame) => void;
  readonly clock?: Clock;
  readonly backoff?: BackoffOptions;
  /**
   * A connection with no data frame for this long is replaced (default 60 s). Pings do not count: a
   * socket on a wrong path is pinged but gets no data (sources.md). An illiquid futures stream alone
   * on a connection may trip it; the reconnect is cheap and gap fill covers the rest.
   */
  readonly silenceTimeoutMs?: number;
  /** Rotate this long after a connection opened (default 23 h, an hour before Binance's 24 h cut). */
  readonly rotateAfterMs?: number;
  /** After the new connection delivered, keep the old one this long for frames already in flight (default 1 s). */
  readonly handoverGraceMs?: number;
  /** Give up on a new connection that has not delivered after this long; retry later (default 30 s). */
  readonly handoverTimeoutMs?: number;
  /** A connection open this long counts as healthy: backoff starts from the base again (default 30 s). */
  readonly stableAfterMs?: number;
  /** Streams put in the connect URL at most (longer URLs are at risk of rejection); the rest are SUBSCRIBEd. */
  readonly maxUrlChars?: number;
  readonly logger?: Logger;
  /** Connection ids start here (keeps ids unique across the streams of a manager). */
  readonly idBase?: number;
}

export interface BinanceStreamStats {
  streams: number;
  connected: boolean;
  connects: number;
  reconnects: number;
  rotations: number;
  silenceKills: number;
  shutdownNotices: number;
  duplicatesDropped: number;
  klines: number;
  skipped: number;
  /** Delays chosen before each reconnect, newest last (bounded). */
  recentBackoffMs: number[];
}

export const STREAM_DEFAULTS = {
  silenceTimeoutMs: 60_000,
  rotateAfterMs: CONNECTION_MAX_AGE_MS - 3600_000,
  handoverGraceMs: 1_000,
  handoverTimeoutMs: 30_000,
  stableAfterMs: 30_000,
  maxUrlChars: 4_000,
};
