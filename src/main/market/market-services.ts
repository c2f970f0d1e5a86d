import type { SymbolInfo, Ticker24h } from '../../domain/binance-market-data.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { MARKET_LIMITS, restBaseUrl } from '../../exchange/binance/binance-endpoints.js';
import { BinanceRestClient } from '../../exchange/binance/binance-rest.js';
import { fetchExchangeInfo, fetchTickers24h } from '../../exchange/binance/market-data-rest.js';
import { REST_BUDGET_SPLIT, WeightBudget } from '../../exchange/binance/weight-budget.js';
import { SharedRestBlock, type RestBlockBuffers } from '../../exchange/binance/shared-rest-block.js';
import type { Clock } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import type { Config } from '../config/settings.js';
import { CachedUpstream } from './cached-upstream.js';
import { ExchangeSymbols } from './exchange-symbols.js';
import { ForceLimiter } from './force-limiter.js';
import { MarketList } from './market-list.js';
import { TopMarketsStreams } from './top-markets-streams.js';

/** trade_canvas: `force=1` at most once per 2 s per client and market. */
const FORCE_MIN_INTERVAL_MS = 2_000;
/** One retry, then the caller hears of it (serving the last answer, or 502). */
const MARKET_REST_RETRIES = 1;
const MARKET_REST_TIMEOUT_MS = 5_000;

/** The main thread's market data: symbol lists, the market list and its streams. */
export interface MarketServices {
  readonly symbols: ExchangeSymbols;
  readonly list: MarketList;
  readonly streams: TopMarketsStreams;
  readonly forceLimiter: ForceLimiter;
  close(): void;
}

/**
 * Builds them over the one Binance REST client, with the main thread's share of the per-IP weight
 * budget (REST_BUDGET_SPLIT.mainThread). Nothing is fetched until someone asks.
 */
export function createMarketServices(config: Config, clock: Clock, restBlocks?: RestBlockBuffers): MarketServices {
  const log = createLogger('market');
  const client = (market: LiveMarket) =>
    new BinanceRestClient({
      market,
      baseUrl: restBaseUrl(market, config),
      budget: new WeightBudget({
        weightPerWindow: MARKET_LIMITS[market].weightPerMinute,
        share: REST_BUDGET_SPLIT.mainThread,
        ipShare: REST_BUDGET_SPLIT.ipShare,
        shared: restBlocks ? new SharedRestBlock(restBlocks[market]) : undefined,
      }),
      // An HTTP answer must not wait out a 429 or a long retry ladder.
      waitOutRateLimits: false,
      maxRetries: MARKET_REST_RETRIES,
      requestTimeoutMs: MARKET_REST_TIMEOUT_MS,
      logger: createLogger(`market.binance-rest.${market}`),
    });
  const rest = { spot: client('spot'), futures: client('futures') };
  const upstream = <T>(what: string, ttlS: number, fetch: (market: LiveMarket) => Promise<T>) => ({
    spot: new CachedUpstream(() => fetch('spot'), ttlS * 1000, clock, log, `${what} spot`),
    futures: new CachedUpstream(() => fetch('futures'), ttlS * 1000, clock, log, `${what} futures`),
  });
  const symbols = new ExchangeSymbols(
    upstream<ReadonlyMap<string, SymbolInfo>>('exchangeInfo', config.binanceExchangeInfoTtlS, (m) => fetchExchangeInfo(rest[m], m)),
  );
  const tickers = upstream<Ticker24h[]>('24h tickers', config.binanceTickerTtlS, (m) => fetchTickers24h(rest[m], m));
  const list = new MarketList(symbols, tickers, clock);
  const streams = new TopMarketsStreams(list, config.binanceTickerTtlS * 1000, config.marketListMaxStreams, clock, log);
  return { symbols, list, streams, forceLimiter: new ForceLimiter(FORCE_MIN_INTERVAL_MS, clock), close: () => streams.close() };
}
