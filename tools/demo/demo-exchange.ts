import { FakeBinance } from '../fake-binance/fake-binance.js';
import { ACTIVITY_SPREAD, type DemoClock } from './demo-clock.js';
import { exchangeNamesOf, type DemoSeries } from './demo-series.js';

/**
 * Days of history the demo's exchange has before today, for every symbol and interval: enough for
 * 2,000 bars of every timeframe of the page's picker up to 4h (2,000 × 4 h = 334 days), and a
 * year of 1d bars. Old days are made when first asked for (a few ms per day and symbol).
 */
export const DEMO_HISTORY_DAYS = 400;

export interface DemoExchangeOptions {
  readonly clock: DemoClock;
  readonly series: readonly DemoSeries[];
  readonly seed: number;
}

/**
 * The fake Binance of the demo, on an ephemeral loopback port. Each symbol has one price path
 * (tools/fake-binance/price-path.ts) from which every interval, live and REST, is cut; the demo
 * series' paths start at their usual price and tick size, with as many trades per minute as a live
 * bar gets forming updates. The history files are cut from the same paths (demo-history.ts), so
 * history, REST gap fill and live are one market. Any other symbol is made on first use.
 */
export async function startDemoExchange(options: DemoExchangeOptions): Promise<FakeBinance> {
  const { clock } = options;
  const fake = await FakeBinance.start({
    barMs: clock.barMs,
    tickMs: clock.tickMs,
    historyDays: DEMO_HISTORY_DAYS,
    generator: { seed: options.seed, tradeStep: clock.tradeStep, tradesPerMinute: clock.tradesPerBar, activitySpread: ACTIVITY_SPREAD },
  });
  const now = fake.now();
  for (const series of options.series) {
    const { market, symbol } = exchangeNamesOf(series);
    fake.generators[market].seedSymbol(symbol, { startPrice: series.startPrice, priceDecimals: series.priceDecimals }, now);
  }
  return fake;
}
