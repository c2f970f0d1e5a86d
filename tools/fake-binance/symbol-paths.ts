/**
 * Which symbols a market of the fake lists, and their price paths (price-path.ts), made on first
 * use: seeded from the generator's seed and the symbol's name only, so a symbol's path is the same
 * whichever streams or requests came first. A symbol can be seeded (start price, tick size, trades
 * per minute) before its first use, never after.
 */
import { mixSeed, mulberry32 } from '../lib/seeded-random.js';
import { DAY_MS } from './intervals.js';
import type { PathParams } from './path-day.js';
import { DayCache, PricePath } from './price-path.js';

/** Binance's legal symbol characters (error -1100 names this range). */
export const SYMBOL_RE = /^[A-Z0-9-_.]{1,20}$/;
const DEFAULT_PRICE_DECIMALS = 4;

/** How a symbol's path starts; unset fields take the generator's defaults. */
export interface PathSeed {
  /** Price at 00:00 UTC of the origin day (default: random in 10..100). */
  readonly startPrice?: number;
  /** Price decimals, the tick size (default 4). */
  readonly priceDecimals?: number;
  /** Trades per minute of this symbol (default: the generator's tradesPerMinute). */
  readonly tradesPerMinute?: number;
}

export interface ListingOptions {
  readonly seed: number;
  readonly historyDays: number;
  /** Path parameters every symbol shares (its own seed and trades per minute aside). */
  readonly shared: Omit<PathParams, 'seed' | 'minuteSigma'> & {
    /** Largest relative move of one trade: a minute's σ is tradeStep·√(K/3). Unset: minuteVolatility. */
    readonly tradeStep: number | undefined;
    /** A minute's σ whatever K, when tradeStep is unset. */
    readonly minuteVolatility: number;
  };
  /** Start of the origin day's… day; unset: the first `now` seen. */
  readonly originMs: number | undefined;
  /** The only symbols that exist, if set. */
  readonly symbols: readonly string[] | undefined;
  /** Without `symbols`: may a symbol nothing asked for before appear on a REST call. */
  readonly autoCreate: boolean;
  readonly cachedDays: number;
}

export class SymbolPaths {
  private readonly paths = new Map<string, PricePath>();
  private readonly cache: DayCache;
  private readonly listed: ReadonlySet<string> | undefined;
  private originMs: number | undefined;

  constructor(private readonly opts: ListingOptions) {
    this.cache = new DayCache(opts.cachedDays);
    this.listed = opts.symbols ? new Set(opts.symbols) : undefined;
    this.originMs = opts.originMs;
  }

  /** Whether `symbol` exists for a REST request (-1121 otherwise). */
  has(symbol: string): boolean {
    if (this.paths.has(symbol)) return true;
    if (!SYMBOL_RE.test(symbol)) return false;
    return this.listed ? this.listed.has(symbol) : this.opts.autoCreate;
  }

  /** Open time of the oldest minute with data: 00:00 UTC `historyDays` before the origin day. */
  historyStartMs(): number | undefined {
    return this.originMs === undefined ? undefined : (Math.floor(this.originMs / DAY_MS) - this.opts.historyDays) * DAY_MS;
  }

  /** The path of `symbol`, made (with `seed`) on first use; undefined if the symbol is not listed. */
  pathOf(symbol: string, now: number, seed: PathSeed = {}): PricePath | undefined {
    const known = this.paths.get(symbol);
    if (known) {
      const differs = <T>(asked: T | undefined, has: T) => asked !== undefined && asked !== has;
      const startTicks = seed.startPrice === undefined ? undefined : Math.round(seed.startPrice * 10 ** known.priceDecimals);
      if (differs(seed.priceDecimals, known.priceDecimals) || differs(seed.tradesPerMinute, known.tradesPerMinute) || differs(startTicks, known.startTicks))
        throw new Error(`${symbol}: its price path already exists with another seed; seed a symbol before its first use`);
      return known;
    }
    if (!SYMBOL_RE.test(symbol) || (this.listed && !this.listed.has(symbol))) return undefined;
    this.originMs ??= now;
    const pathSeed = mixSeed(this.opts.seed, symbol);
    const decimals = seed.priceDecimals ?? DEFAULT_PRICE_DECIMALS;
    const startTicks =
      seed.startPrice !== undefined ? Math.max(1, Math.round(seed.startPrice * 10 ** decimals)) : 100_000 + Math.floor(mulberry32(pathSeed)() * 900_000);
    const originDay = Math.floor(this.originMs / DAY_MS);
    const tradesPerMinute = Math.max(1, Math.round(seed.tradesPerMinute ?? this.opts.shared.tradesPerMinute));
    const { tradeStep, minuteVolatility, activitySpread, extraTradeProbability } = this.opts.shared;
    const minuteSigma = tradeStep === undefined ? minuteVolatility : tradeStep * Math.sqrt(tradesPerMinute / 3);
    const path = new PricePath(
      {
        symbol,
        params: { seed: pathSeed, tradesPerMinute, minuteSigma, activitySpread, extraTradeProbability },
        startTicks,
        priceDecimals: decimals,
        originDay,
        firstDay: originDay - this.opts.historyDays,
      },
      this.cache,
    );
    this.paths.set(symbol, path);
    return path;
  }
}
