import { binanceSeriesOf, type BinanceSeries } from '../../src/domain/binance-symbols.js';

/** A series the demo generates, with history, from the first second. */
export interface DemoSeries {
  readonly seriesId: string;
  /** Its symbol's price at 00:00 UTC of the day the demo starts (the price path's anchor). */
  readonly startPrice: number;
  /** Tick size as decimals: Binance quotes these pairs to the cent. */
  readonly priceDecimals: number;
}

/**
 * Both markets, three symbols, one timeframe: enough to try the series picker and the
 * `?series_id=` links, few enough to start in a second. All 1m, so "a bar every N seconds" holds
 * for every chart. The first is the page's default series (web/app/page-params.ts); the next two
 * are the banner's example links.
 */
export const DEMO_SERIES: readonly DemoSeries[] = [
  { seriesId: 'binance:futures:BTC/USDT:1m', startPrice: 64_000, priceDecimals: 2 },
  { seriesId: 'binance:spot:ETH/USDT:1m', startPrice: 3_100, priceDecimals: 2 },
  { seriesId: 'binance:futures:SOL/USDT:1m', startPrice: 145, priceDecimals: 2 },
  { seriesId: 'binance:spot:BTC/USDT:1m', startPrice: 64_000, priceDecimals: 2 },
];

/** The Binance names (market, stream) of a demo series, as the fake generates it. */
export function exchangeNamesOf(series: DemoSeries): BinanceSeries {
  return binanceSeriesOf(series.seriesId);
}
