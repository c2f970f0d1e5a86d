import { badRequest } from '../shared/errors.js';
import { parseSeriesId, type LiveMarket, type SeriesId } from './series-id.js';

/**
 * series_id ↔ Binance names (contract §1, sources.md). `binance:futures:BTC/USDT:1m` and
 * `binance:futures:BTC/USDT:USDT:1m` are both the stream `btcusdt@kline_1m` on the futures host;
 * the reverse direction (stream → series) is one-to-many, so ingest keeps a registry instead of
 * guessing where a quote currency starts in `BTCUSDT`.
 */

/**
 * Binance kline intervals our timeframe grammar (`<n><m|h|d>`) can express. `1s`, `1w` and `1M`
 * exist on Binance but not as series timeframes; 7m or 5h exist nowhere and are refused up front.
 */
export const BINANCE_INTERVALS: ReadonlySet<string> = new Set(['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d']);

export interface BinanceSeries {
  readonly seriesId: string;
  readonly market: LiveMarket;
  /** Exchange symbol for REST, e.g. `BTCUSDT`. */
  readonly symbol: string;
  readonly interval: string;
  /** Stream name, e.g. `btcusdt@kline_1m`. */
  readonly stream: string;
  readonly tfSeconds: number;
}

/** Longest exchange symbol accepted (Binance's are ≤ 20 today; unicode tickers exist). */
const MAX_SYMBOL_LENGTH = 40;
/** Characters that would corrupt a stream name, a combined-stream URL or a REST query. */
const FORBIDDEN_SYMBOL_CHARS = /[\s@/\\?&#%:"]/;
/** Dated futures settle suffix, `BTC/USDT:USDT-240329` → `BTCUSDT_240329` (ccxt naming). */
const DELIVERY_SUFFIX = /^[A-Z0-9]+-(\d{6})$/;

/** `BTC/USDT` and `BTC/USDT:USDT` → `BTCUSDT`; `BTCUSDT` stays. Throws bad_request when unusable. */
export function binanceSymbol(symbol: string): string {
  const trimmed = symbol.trim().toUpperCase();
  const colon = trimmed.indexOf(':');
  const pair = colon < 0 ? trimmed : trimmed.slice(0, colon);
  const settle = colon < 0 ? '' : trimmed.slice(colon + 1);
  let exchangeSymbol = pair.replace('/', '');
  const dated = DELIVERY_SUFFIX.exec(settle);
  if (dated) exchangeSymbol += `_${dated[1]}`;
  else if (settle !== '' && !/^[A-Z0-9]+$/.test(settle)) throw badRequest(`invalid symbol for binance: ${symbol}`);
  if (exchangeSymbol === '' || exchangeSymbol.length > MAX_SYMBOL_LENGTH || FORBIDDEN_SYMBOL_CHARS.test(exchangeSymbol)) {
    throw badRequest(`invalid symbol for binance: ${symbol}`);
  }
  return exchangeSymbol;
}

/** The Binance names of a live-ingestable series; bad_request for anything Binance cannot stream. */
export function binanceSeriesOf(id: SeriesId | string): BinanceSeries {
  const parsed = typeof id === 'string' ? parseSeriesId(id) : id;
  if (parsed.exchange !== 'binance') throw badRequest(`live ingest supports exchange binance, not ${parsed.exchange}`);
  if (parsed.market !== 'spot' && parsed.market !== 'futures') throw badRequest(`live ingest supports market spot or futures, not ${parsed.market}`);
  const interval = parsed.timeframe.trim();
  if (!BINANCE_INTERVALS.has(interval)) throw badRequest(`binance has no kline interval ${interval}`);
  const symbol = binanceSymbol(parsed.symbol);
  return Object.freeze({
    seriesId: parsed.raw,
    market: parsed.market,
    symbol,
    interval,
    stream: `${symbol.toLowerCase()}@kline_${interval}`,
    tfSeconds: parsed.tfSeconds,
  });
}

/** `btcusdt@kline_1m` → `{symbol: 'BTCUSDT', interval: '1m'}`; undefined for other streams. */
export function parseKlineStreamName(stream: string): { symbol: string; interval: string } | undefined {
  const at = stream.indexOf('@kline_');
  if (at <= 0) return undefined;
  const interval = stream.slice(at + 7);
  if (!BINANCE_INTERVALS.has(interval) && interval !== '1s' && interval !== '1w' && interval !== '1M') return undefined;
  return { symbol: stream.slice(0, at).toUpperCase(), interval };
}
