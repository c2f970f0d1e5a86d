import type { FakeMarket } from './fake-rest.js';

/**
 * The symbols the fake exchange lists (exchangeInfo) per market, with what Binance says of each:
 * base and quote asset, status, and on futures the contract type. Their prices are the symbols'
 * price paths (kline-generator.ts), like everything else the fake serves.
 */

export interface ListedSymbol {
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  /** exchangeInfo status: only TRADING symbols make the market list. */
  readonly status: 'TRADING' | 'BREAK' | 'SETTLING';
  /** Futures only: PERPETUAL, or a dated delivery contract (left out of the market list). */
  readonly contractType?: 'PERPETUAL' | 'CURRENT_QUARTER';
}

/** Base assets listed against USDT on both markets. */
export const USDT_BASES: readonly string[] = [
  'BTC',
  'ETH',
  'SOL',
  'BNB',
  'XRP',
  'DOGE',
  'ADA',
  'TRX',
  'AVAX',
  'LINK',
  'DOT',
  'LTC',
  'BCH',
  'NEAR',
  'APT',
  'ARB',
  'OP',
  'SUI',
  'PEPE',
  'FIL',
  'ATOM',
  'UNI',
];

/** Quote assets a symbol may end with (longest first), to split a generated stream's symbol. */
export const QUOTE_ASSETS = ['FDUSD', 'USDT', 'USDC', 'BTC', 'ETH', 'BNB'] as const;

/** Dated futures contract in the listing (ccxt: BTC/USDT:USDT-261225). */
export const DELIVERY_SUFFIX = '261225';

/** Every symbol the fake lists for a market. */
export function listedSymbols(market: FakeMarket): ListedSymbol[] {
  const pair = (base: string, quote: string, extra: Partial<ListedSymbol> = {}): ListedSymbol => ({
    symbol: `${base}${quote}`,
    base,
    quote,
    status: 'TRADING',
    ...(market === 'futures' ? { contractType: 'PERPETUAL' as const } : {}),
    ...extra,
  });
  const out = USDT_BASES.map((base) => pair(base, 'USDT'));
  if (market === 'spot') {
    out.push(...USDT_BASES.slice(1, 8).map((base) => pair(base, 'BTC')), pair('BTC', 'FDUSD'), pair('LUNA', 'USDT', { status: 'BREAK' }));
  } else {
    out.push(
      pair('BTC', 'USDC'),
      pair('BTC', 'USDT', { symbol: `BTCUSDT_${DELIVERY_SUFFIX}`, contractType: 'CURRENT_QUARTER' }),
      pair('ETH', 'USDT', { symbol: `ETHUSDT_${DELIVERY_SUFFIX}`, contractType: 'CURRENT_QUARTER' }),
      pair('MATIC', 'USDT', { status: 'SETTLING' }),
    );
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
