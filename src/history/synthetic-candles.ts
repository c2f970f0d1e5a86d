import { CANDLE_STRIDE } from '../domain/candle.js';
import { mulberry32 } from '../util/seeded-random.js';

/**
 * Deterministic made-up candles for fixtures and benchmarks: a seeded random walk whose bars are
 * consistent (low ≤ open, close ≤ high; volume ≥ 0), prices on a tick grid of seven significant
 * digits (so the numbers look and compress like exchange data), with holes where asked.
 */

/** Leave `bars` bar slots empty after the `after`-th candle (1-based), once. */
export interface GapAt {
  readonly after: number;
  readonly bars: number;
}
/** Leave `bars` bar slots empty after every `every` candles. */
export interface GapEvery {
  readonly every: number;
  readonly bars: number;
}
export type GapSpec = GapAt | GapEvery;

export interface SyntheticOptions {
  /** Candles to produce (holes do not count). */
  readonly count: number;
  /** Open time of the first candle, Unix seconds; rounded down to the bar grid. */
  readonly startTime: number;
  readonly tfSeconds: number;
  readonly seed?: number;
  readonly gaps?: readonly GapSpec[];
  readonly startPrice?: number;
}

/** Per-bar volatility of the walk (0.2 %, a calm 1m crypto bar). */
const BAR_VOLATILITY = 0.002;
const SIGNIFICANT_DIGITS = 7;

export function generateCandles(options: SyntheticOptions): Float64Array {
  const { count, tfSeconds } = options;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isSafeInteger(tfSeconds) || tfSeconds <= 0) throw new RangeError(`tfSeconds must be a positive integer, got ${tfSeconds}`);
  const random = mulberry32(options.seed ?? 1);
  const gaps = options.gaps ?? [];
  const out = new Float64Array(count * CANDLE_STRIDE);
  let time = Math.floor(options.startTime / tfSeconds) * tfSeconds;
  let close = onTick(options.startPrice ?? 20_000 * (0.5 + random()));
  for (let i = 0; i < count; i++) {
    const open = close;
    close = onTick(open * Math.exp(BAR_VOLATILITY * gaussian(random)));
    const high = onTick(Math.max(open, close) * (1 + BAR_VOLATILITY * Math.abs(gaussian(random)) * 0.5));
    const low = onTick(Math.min(open, close) * (1 - BAR_VOLATILITY * Math.abs(gaussian(random)) * 0.5));
    const volume = Math.round(Math.exp(2 + gaussian(random)) * 1e4) / 1e4;
    const b = i * CANDLE_STRIDE;
    out[b] = time;
    out[b + 1] = open;
    // Tick rounding can move high below open/close (or low above): clamp to keep the bar consistent.
    out[b + 2] = Math.max(high, open, close);
    out[b + 3] = Math.min(low, open, close);
    out[b + 4] = close;
    out[b + 5] = volume;
    time += tfSeconds * (1 + holeAfter(i + 1, gaps));
  }
  return out;
}

function holeAfter(written: number, gaps: readonly GapSpec[]): number {
  let bars = 0;
  for (const gap of gaps) {
    if ('after' in gap ? written === gap.after : gap.every > 0 && written % gap.every === 0) bars += gap.bars;
  }
  return bars;
}

/** Rounds to seven significant digits (BTC/USDT at 2 decimals), like a tick size scaled to the price. */
function onTick(price: number): number {
  const decimals = SIGNIFICANT_DIGITS - 1 - Math.floor(Math.log10(price));
  if (decimals < 0) {
    const tick = 10 ** -decimals;
    return Math.round(price / tick) * tick;
  }
  // Dividing by an exact power of ten gives the double nearest the decimal (what JSON or a CSV
  // would parse to); multiplying by 0.0001 would leave float noise.
  const scale = 10 ** decimals;
  return Math.round(price * scale) / scale;
}

/** Standard normal variate (Box–Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

