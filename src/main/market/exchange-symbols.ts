import type { SymbolInfo } from '../../domain/binance-market-data.js';
import { binanceSymbol } from '../../domain/binance-symbols.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { GatewayError, isGatewayError } from '../../shared/errors.js';
import type { Cached, CachedUpstream } from './cached-upstream.js';

export type SymbolIndex = ReadonlyMap<string, SymbolInfo>;

/**
 * The exchange's symbol lists (exchangeInfo), cached per market for
 * TRADE_CANVAS_BINANCE_EXCHANGEINFO_TTL_S. The market list joins tickers with it; anything that
 * must not start work for a made-up symbol (on-demand ingest jobs) asks `knownSymbol` first.
 */
export class ExchangeSymbols {
  constructor(private readonly lists: Readonly<Record<LiveMarket, CachedUpstream<SymbolIndex>>>) {}

  /** The symbol list of a market (`force`: refetch now). Rejects with `upstream_error` when none could be had. */
  async index(market: LiveMarket, force = false): Promise<Cached<SymbolIndex>> {
    try {
      return await this.lists[market].get(force);
    } catch (err) {
      throw upstreamError(err);
    }
  }

  /**
   * Whether `symbol` (a series symbol such as `BTC/USDT` or `BTC/USDT:USDT`, or Binance's
   * `BTCUSDT`) is listed on `market` and trading now. False for names Binance could not have;
   * rejects with `upstream_error` while the exchange's list cannot be fetched (and was never).
   */
  async knownSymbol(market: LiveMarket, symbol: string): Promise<boolean> {
    let exchangeSymbol: string;
    try {
      exchangeSymbol = binanceSymbol(symbol);
    } catch {
      return false;
    }
    const { value } = await this.index(market);
    return value.get(exchangeSymbol)?.status === 'TRADING';
  }

  /** The version of a market's list (moves with every successful fetch). */
  version(market: LiveMarket): number {
    return this.lists[market].version;
  }
}

/** 502 `upstream_error:<why>`, trade_canvas's detail text, for an exchange failure. */
export function upstreamError(err: unknown): GatewayError {
  if (isGatewayError(err)) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new GatewayError('upstream_error', `upstream_error:${why}`, { cause: err });
}
