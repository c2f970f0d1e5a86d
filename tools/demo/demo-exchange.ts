import { FakeBinance } from '../fake-binance/fake-binance.js';
import { ACTIVITY_SPREAD, type DemoClock } from './demo-clock.js';
import { exchangeNamesOf, type DemoSeries } from './demo-series.js';

export interface DemoExchangeOptions {
  readonly clock: DemoClock;
  readonly series: readonly DemoSeries[];
  /** Closed bars each demo series has when the exchange starts (they become the history files). */
  readonly historyBars: number;
  readonly seed: number;
}

/**
 * The fake Binance of the demo, on an ephemeral loopback port. Each demo series is created at
 * start with `historyBars` closed bars behind its forming one, made of as many trades as a live
 * bar gets, so history and live are one random walk: the history files are cut from these bars
 * (demo-history.ts) and REST gap fill serves the same ones. Any other stream a client asks for is
 * generated on first use, without history (the fake's auto-create).
 */
export async function startDemoExchange(options: DemoExchangeOptions): Promise<FakeBinance> {
  const { clock } = options;
  const fake = await FakeBinance.start({
    barMs: clock.barMs,
    tickMs: clock.tickMs,
    generator: { seed: options.seed, tradeStep: clock.tradeStep, activitySpread: ACTIVITY_SPREAD },
  });
  const now = fake.now();
  for (const series of options.series) {
    const { market, stream } = exchangeNamesOf(series);
    fake.generators[market].addStream(stream, now, {
      startPrice: series.startPrice,
      priceDecimals: series.priceDecimals,
      backfillBars: options.historyBars,
      tradesPerBar: clock.tradesPerBar,
    });
  }
  return fake;
}
