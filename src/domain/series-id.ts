import { badRequest, GatewayError } from '../shared/errors.js';
import { timeframeSeconds } from './timeframe.js';

/**
 * A parsed `exchange:market:symbol:timeframe` (contract §1). The symbol is everything between the
 * 2nd and the last `:`, so `binance:futures:BTC/USDT:USDT:1h` has symbol `BTC/USDT:USDT`.
 * `raw` — the string exactly as the client sent it — is the storage key.
 */
export interface SeriesId {
  readonly raw: string;
  readonly exchange: string;
  readonly market: string;
  readonly symbol: string;
  readonly timeframe: string;
  /** Bar length in seconds, derived from `timeframe`. */
  readonly tfSeconds: number;
}

/** Longest series_id we accept; keeps storage keys, topics and logs bounded. */
const MAX_SERIES_ID_LENGTH = 200;

const cache = new Map<string, SeriesId>();
/** Parsed ids are memoized: the hot paths (ingest routes, subscribes) see the same few ids. */
const MAX_CACHED_IDS = 10_000;

export function parseSeriesId(raw: unknown): SeriesId {
  if (typeof raw !== 'string') throw badRequest('invalid series_id');
  const cached = cache.get(raw);
  if (cached) return cached;
  const parsed = parseUncached(raw);
  if (cache.size >= MAX_CACHED_IDS) cache.clear();
  cache.set(raw, parsed);
  return parsed;
}

function parseUncached(raw: string): SeriesId {
  if (raw.length === 0 || raw.length > MAX_SERIES_ID_LENGTH) throw badRequest('invalid series_id');
  const parts = raw.split(':');
  if (parts.length < 4) throw badRequest('invalid series_id');
  const exchange = parts[0]!.trim();
  const market = parts[1]!.trim();
  const timeframe = parts[parts.length - 1]!.trim();
  const symbol = parts.slice(2, -1).join(':').trim();
  if (!exchange || !market || !symbol || !timeframe) throw badRequest('invalid series_id');
  let tfSeconds: number;
  try {
    tfSeconds = timeframeSeconds(timeframe);
  } catch (err) {
    if (err instanceof GatewayError) throw badRequest('invalid series_id');
    throw err;
  }
  return Object.freeze({ raw, exchange, market, symbol, timeframe, tfSeconds });
}

/** Markets the live Binance ingest understands (contract §1). */
export const LIVE_MARKETS = ['spot', 'futures'] as const;
export type LiveMarket = (typeof LIVE_MARKETS)[number];

/** True when the gateway can ingest this series live from Binance. */
export function isLiveIngestable(id: SeriesId): boolean {
  return id.exchange === 'binance' && (LIVE_MARKETS as readonly string[]).includes(id.market);
}
