import { parseExchangeInfo, parseTickers24h, type SymbolInfo, type Ticker24h } from '../../domain/binance-market-data.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { MARKET_LIMITS } from './binance-endpoints.js';
import { BinanceRestError, type BinanceRestClient } from './binance-rest.js';

/**
 * The market-list endpoints through the one REST client (its budget, retries and rate-limit
 * handling): every symbol's 24h ticker (weight 80 spot / 40 futures) and exchangeInfo (20 / 1).
 * Fetched once per interval and shared by every client (sources.md): never per request.
 */

export async function fetchTickers24h(client: BinanceRestClient, market: LiveMarket, signal?: AbortSignal): Promise<Ticker24h[]> {
  const limits = MARKET_LIMITS[market];
  const rows = parseTickers24h(await client.getJson(limits.ticker24hPath, limits.ticker24hAllWeight, signal));
  if (rows === undefined) throw new BinanceRestError('bad_response', `${limits.ticker24hPath} answer is not a list`, 200);
  return rows;
}

export async function fetchExchangeInfo(client: BinanceRestClient, market: LiveMarket, signal?: AbortSignal): Promise<Map<string, SymbolInfo>> {
  const limits = MARKET_LIMITS[market];
  const symbols = parseExchangeInfo(await client.getJson(limits.exchangeInfoPath, limits.exchangeInfoWeight, signal));
  if (symbols === undefined) throw new BinanceRestError('bad_response', `${limits.exchangeInfoPath} answer has no symbols list`, 200);
  return symbols;
}
