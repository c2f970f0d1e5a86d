import { listable, type Ticker24h } from '../../domain/binance-market-data.js';
import type { LiveMarket } from '../../domain/series-id.js';
import type { Clock } from '../../shared/clock.js';
import type { CachedUpstream } from './cached-upstream.js';
import { upstreamError, type ExchangeSymbols } from './exchange-symbols.js';

/** One row of `GET /api/market/top_markets` (contract §5), fields in trade_canvas's order. */
export interface TopMarketItem {
  readonly exchange: 'binance';
  readonly market: LiveMarket;
  /** `BASE/QUOTE`, e.g. `BTC/USDT` (futures too: the series symbol of a perpetual). */
  readonly symbol: string;
  readonly symbol_id: string;
  readonly base_asset: string;
  readonly quote_asset: string;
  readonly last_price: number | null;
  readonly quote_volume: number;
  readonly price_change_percent: number | null;
}

/** The answer of `GET /api/market/top_markets`, and the `data:` of its stream's events. */
export interface TopMarketsPage {
  readonly exchange: 'binance';
  readonly market: LiveMarket;
  readonly quote_asset: string;
  readonly limit: number;
  readonly generated_at_ms: number;
  readonly cached: boolean;
  readonly items: readonly TopMarketItem[];
}

/** Every listable symbol of one market and quote asset, by 24h quote volume, descending. */
export interface Ranking {
  readonly items: readonly TopMarketItem[];
  /** Symbols and tickers both came from the cache (trade_canvas's `cached`). */
  readonly cached: boolean;
}

/**
 * The market list (contract §5): the exchange's symbols trading in a quote asset (exchangeInfo),
 * joined with their 24h tickers, sorted by quote volume. Both upstream lists are cached and
 * shared (CachedUpstream), and a ranking is computed once per pair of lists, so a thousand
 * clients cost one sort per refresh.
 */
export class MarketList {
  private readonly rankings = new Map<string, { symbols: number; tickers: number; items: TopMarketItem[] }>();

  constructor(
    readonly symbols: ExchangeSymbols,
    private readonly tickers: Readonly<Record<LiveMarket, CachedUpstream<Ticker24h[]>>>,
    private readonly clock: Clock,
  ) {}

  /** The ranking of a market and (upper-case) quote asset; `force` refetches both lists now. */
  async rank(market: LiveMarket, quote: string, force = false): Promise<Ranking> {
    let symbols, tickers;
    try {
      [symbols, tickers] = await Promise.all([this.symbols.index(market, force), this.tickers[market].get(force)]);
    } catch (err) {
      throw upstreamError(err);
    }
    const key = `${market}:${quote}`;
    const versions = { symbols: this.symbols.version(market), tickers: this.tickers[market].version };
    let ranking = this.rankings.get(key);
    if (!ranking || ranking.symbols !== versions.symbols || ranking.tickers !== versions.tickers) {
      const items: TopMarketItem[] = [];
      for (const t of tickers.value) {
        const info = symbols.value.get(t.symbol);
        if (!info || info.quote !== quote || !listable(info, market) || t.quoteVolume === null) continue;
        items.push({
          exchange: 'binance',
          market,
          symbol: `${info.base}/${info.quote}`,
          symbol_id: t.symbol,
          base_asset: info.base,
          quote_asset: info.quote,
          last_price: t.lastPrice,
          quote_volume: t.quoteVolume,
          price_change_percent: t.priceChangePercent,
        });
      }
      items.sort((a, b) => b.quote_volume - a.quote_volume);
      this.rankings.set(key, (ranking = { ...versions, items }));
    }
    return { items: ranking.items, cached: symbols.cached && tickers.cached && !force };
  }

  /** The first `limit` of a ranking as the route answers it. */
  page(market: LiveMarket, quote: string, limit: number, ranking: Ranking, generatedAtMs = this.clock.now()): TopMarketsPage {
    return {
      exchange: 'binance',
      market,
      quote_asset: quote,
      limit,
      generated_at_ms: generatedAtMs,
      cached: ranking.cached,
      items: ranking.items.slice(0, limit),
    };
  }
}
