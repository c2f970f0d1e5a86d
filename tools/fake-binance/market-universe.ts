import { mulberry32 } from '../lib/seeded-random.js';
import type { FakeMarket } from './fake-rest.js';

/**
 * The symbols the fake exchange lists (exchangeInfo) and their synthetic 24h markets (ticker), per
 * market. Deterministic: the same seed and virtual time give the same numbers. A listed symbol's
 * price follows a smooth path around a reference price (two sine waves with seeded phases), so
 * tickers move as virtual time moves and stand still while the fake is paused. Symbols the kline
 * generator streams are priced from their bars instead (fake-market-data.ts), so the market list
 * and the chart of such a symbol agree.
 */

export interface ListedSymbol {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  /** exchangeInfo status: only TRADING symbols make the market list. */
  readonly status: 'TRADING' | 'BREAK' | 'SETTLING';
  /** Futures only: PERPETUAL, or a dated delivery contract (left out of the market list). */
  readonly contractType?: 'PERPETUAL' | 'CURRENT_QUARTER';
  /** Reference price (the path moves around it) and 24h quote volume scale. */
  readonly refPrice: number;
  readonly refQuoteVolume: number;
  readonly priceDecimals: number;
  /** Seeded phases of the price and volume paths. */
  readonly phases: readonly [number, number, number];
}

/** Reference prices in USDT, by size of market (the order sets the volume ranking's scale). */
const BASES: ReadonlyArray<readonly [string, number]> = [
  ['BTC', 65_000],
  ['ETH', 3_200],
  ['SOL', 150],
  ['BNB', 580],
  ['XRP', 0.6],
  ['DOGE', 0.15],
  ['ADA', 0.45],
  ['TRX', 0.12],
  ['AVAX', 35],
  ['LINK', 15],
  ['DOT', 7],
  ['LTC', 80],
  ['BCH', 450],
  ['NEAR', 6],
  ['APT', 9],
  ['ARB', 1.1],
  ['OP', 2.2],
  ['SUI', 1.2],
  ['PEPE', 0.00001],
  ['FIL', 5.5],
  ['ATOM', 8],
  ['UNI', 9],
];

/** Quote assets a generated stream's symbol may end with (longest first). */
export const QUOTE_ASSETS = ['FDUSD', 'USDT', 'USDC', 'BTC', 'ETH', 'BNB'] as const;

const BTC_USDT = 65_000;
/** The largest market's 24h quote volume; rank r gets about this / (r + 1)^1.3. */
const TOP_QUOTE_VOLUME = 2e10;
/** Dated futures contract in the listing (ccxt: BTC/USDT:USDT-261225). */
export const DELIVERY_SUFFIX = '261225';

/** Price decimals giving ~6 significant digits (a tick size like Binance's). */
export function decimalsFor(price: number): number {
  return Math.min(8, Math.max(2, 5 - Math.floor(Math.log10(price))));
}

/** Every symbol the fake lists for a market (seeded phases and volumes). */
export function listedSymbols(market: FakeMarket, seed: number): ListedSymbol[] {
  const rng = mulberry32((seed * 7919 + (market === 'spot' ? 11 : 23)) >>> 0 || 1);
  const out: ListedSymbol[] = [];
  const add = (base: string, quote: string, price: number, rank: number, extra: Partial<ListedSymbol> = {}) => {
    const symbol = extra.symbol ?? `${base}${quote}`;
    out.push({
      symbol,
      base,
      quote,
      status: 'TRADING',
      refPrice: price,
      refQuoteVolume: (TOP_QUOTE_VOLUME / (rank + 1) ** 1.3) * (0.7 + 0.6 * rng()),
      priceDecimals: decimalsFor(price),
      phases: [rng() * 2 * Math.PI, rng() * 2 * Math.PI, rng() * 2 * Math.PI],
      ...extra,
    });
  };
  BASES.forEach(([base, price], rank) => add(base, 'USDT', price, rank, market === 'futures' ? { contractType: 'PERPETUAL' } : {}));
  if (market === 'spot') {
    BASES.slice(1, 8).forEach(([base, price], rank) => add(base, 'BTC', price / BTC_USDT, rank + 4));
    add('BTC', 'FDUSD', BTC_USDT, 2);
    add('LUNA', 'USDT', 0.4, 30, { status: 'BREAK' });
  } else {
    add('BTC', 'USDC', BTC_USDT, 6, { contractType: 'PERPETUAL' });
    add('BTC', 'USDT', BTC_USDT, 8, { symbol: `BTCUSDT_${DELIVERY_SUFFIX}`, contractType: 'CURRENT_QUARTER' });
    add('ETH', 'USDT', 3_200, 12, { symbol: `ETHUSDT_${DELIVERY_SUFFIX}`, contractType: 'CURRENT_QUARTER' });
    add('MATIC', 'USDT', 0.5, 20, { status: 'SETTLING', contractType: 'PERPETUAL' });
  }
  return out;
}

/** Splits `SOLUSDT` into SOL and USDT by the known quote assets; undefined when none fits. */
export function splitSymbol(symbol: string): { base: string; quote: string } | undefined {
  for (const quote of QUOTE_ASSETS) {
    if (symbol.length > quote.length && symbol.endsWith(quote)) return { base: symbol.slice(0, -quote.length), quote };
  }
  return undefined;
}

const HOUR_MS = 3_600_000;
/** Periods of the price and volume waves (virtual time). */
const PRICE_PERIODS_MS = [6 * HOUR_MS, 47 * 60_000] as const;
const VOLUME_PERIOD_MS = 9 * HOUR_MS;

/** The listed symbol's price at virtual time `t` (ms). */
export function pathPrice(s: ListedSymbol, t: number): number {
  const [a, b] = PRICE_PERIODS_MS;
  return s.refPrice * Math.exp(0.04 * Math.sin((2 * Math.PI * t) / a + s.phases[0]) + 0.015 * Math.sin((2 * Math.PI * t) / b + s.phases[1]));
}

/** 24h quote volume ending at virtual time `t`. */
export function pathQuoteVolume(s: ListedSymbol, t: number): number {
  return s.refQuoteVolume * (1 + 0.25 * Math.sin((2 * Math.PI * t) / VOLUME_PERIOD_MS + s.phases[2]));
}
