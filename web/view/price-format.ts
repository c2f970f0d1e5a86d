import type { Candle } from '../../src/domain/candle.js';

/** Fewest decimals shown: prices like 97000 still read as 97000.00 on a trading axis. */
const MIN_DECIMALS = 2;
/** Binance tick sizes stop at 1e-8. */
const MAX_DECIMALS = 8;
/** Recent bars are enough to see the tick size; scanning 2000 bars per update would be waste. */
const SAMPLE_BARS = 200;

/**
 * Decimals needed to show this series' prices without rounding them away: 2 for BTC/USDT,
 * 5 for DOGE/USDT, 8 for 1000SHIB-style pairs. lightweight-charts defaults to 2 for everything.
 */
export function priceDecimals(bars: readonly Candle[]): number {
  let decimals = MIN_DECIMALS;
  for (let i = Math.max(0, bars.length - SAMPLE_BARS); i < bars.length; i++) {
    const c = bars[i]!;
    decimals = Math.max(decimals, decimalsOf(c.open), decimalsOf(c.high), decimalsOf(c.low), decimalsOf(c.close));
    if (decimals >= MAX_DECIMALS) return MAX_DECIMALS;
  }
  return decimals;
}

function decimalsOf(n: number): number {
  // toFixed(MAX) then trim: String(1e-7) is "1e-7", and float noise beyond 1e-8 is not a tick.
  const text = Math.abs(n).toFixed(MAX_DECIMALS).replace(/0+$/, '');
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Compact volume for the legend: 1234567 → "1.23M". */
export function formatVolume(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${(v / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${(v / 1e3).toFixed(2)}K`;
  return abs >= 1 ? v.toFixed(2) : String(Number(v.toPrecision(4)));
}
