/**
 * One UTC day of a symbol's price path, as 1440 one-minute summaries (close, high, low, volume,
 * whether the minute's last trade comes in its final millisecond). A day is drawn from its own
 * seeded sequence, so any day can be made again alone from its edge (price and activity where the
 * neighbouring day left them): cheap to cache, cheap to drop (price-path.ts).
 *
 * The model is the old per-trade random walk, summarised per minute so a day costs 1440 draws
 * rather than 1440 × trades: K trades per minute each moving the price uniformly within ±step add
 * up to a minute's log return that is normal with σ = step·√(K/3) (minuteSigma, scaled by the
 * square root of the minute's activity). High and low are the extremes of a Brownian bridge from open to close with that σ
 * (their exact distribution), pulled in by 0.5826·σ/√K because K discrete trades see less of the
 * range than a continuous path (Siegmund's correction). Volume is the sum of K trade sizes of 1 to
 * 1000 units (0.001 each), by its normal approximation. minute-trades.ts rebuilds trades that match
 * a summary exactly, for forming bars and `1s` klines.
 */
import { gaussianFrom, mixSeed, mulberry32 } from '../lib/seeded-random.js';

export const MINUTES_PER_DAY = 1440;
/** Bar-to-bar persistence of the fast activity walk: spells of about 1 / (1 − ρ) = 10 minutes. */
const FAST_PERSISTENCE = 0.9;
/** The slow walk: busy and calm half-days, so hour and day bars vary in volume and range too. */
const SLOW_PERSISTENCE = 1 - 1 / 720;
/** Expected maximum of a discrete random walk falls short of the continuous one by this × σ/√K. */
const DISCRETE_EXTREME_SHORTFALL = 0.5826;
/** A trade's size is 1..1000 units: mean and standard deviation of one size. */
const TRADE_SIZE_MEAN = 500.5;
const TRADE_SIZE_SD = 288.675;

export interface PathParams {
  /** The path's own seed (generator seed, market and symbol mixed). */
  readonly seed: number;
  readonly tradesPerMinute: number;
  /** Standard deviation of a minute's log return at ordinary activity. */
  readonly minuteSigma: number;
  readonly activitySpread: number;
  readonly extraTradeProbability: number;
}

/** Activity walks at a day's edge: the state next to the already made neighbour. */
export interface ActivityState {
  readonly fast: number;
  readonly slow: number;
}

export interface PathDay {
  readonly day: number;
  /** Open of minute 0, ticks; minute j opens at close[j − 1]. */
  readonly open: number;
  readonly close: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  /** Units of 0.001. */
  readonly volume: Float64Array;
  /** 1 when the minute's last trade is in its final ms, after any forming update (the extra trade). */
  readonly late: Uint8Array;
  readonly dayHigh: number;
  readonly dayLow: number;
  readonly dayVolume: number;
  /** Activity of minute 0 and of minute 1439, to continue the walk into either neighbour. */
  readonly firstActivity: ActivityState;
  readonly lastActivity: ActivityState;
}

export const CALM: ActivityState = { fast: 0, slow: 0 };

/**
 * Makes day `day` forward from its open (`edgePrice`, ticks) with `edge` the activity of the minute
 * before it, or backward from its close (`edgePrice`) with `edge` the activity of the minute after.
 */
export function makeDay(p: PathParams, day: number, direction: 'forward' | 'backward', edgePrice: number, edge: ActivityState): PathDay {
  const uniform = mulberry32(mixSeed(p.seed, day));
  const gauss = gaussianFrom(uniform);
  const k = p.tradesPerMinute;
  const baseSigma = p.minuteSigma;
  const shortfall = DISCRETE_EXTREME_SHORTFALL / Math.sqrt(k);
  const spread = p.activitySpread;
  const fastNoise = Math.sqrt(1 - FAST_PERSISTENCE ** 2) * spread;
  const slowNoise = Math.sqrt(1 - SLOW_PERSISTENCE ** 2) * spread;
  const close = new Float64Array(MINUTES_PER_DAY);
  const high = new Float64Array(MINUTES_PER_DAY);
  const low = new Float64Array(MINUTES_PER_DAY);
  const volume = new Float64Array(MINUTES_PER_DAY);
  const late = new Uint8Array(MINUTES_PER_DAY);
  let fast = edge.fast;
  let slow = edge.slow;
  let first: ActivityState = edge;
  let price = edgePrice;
  let dayHigh = 0;
  let dayLow = Infinity;
  let dayVolume = 0;
  const forward = direction === 'forward';
  for (let i = 0; i < MINUTES_PER_DAY; i++) {
    const j = forward ? i : MINUTES_PER_DAY - 1 - i;
    let root = 1; // √activity
    if (spread > 0) {
      fast = FAST_PERSISTENCE * fast + fastNoise * gauss();
      slow = SLOW_PERSISTENCE * slow + slowNoise * gauss();
      root = Math.exp((fast + slow) / 2);
    }
    const activity = root * root;
    if (i === 0) first = { fast, slow };
    const sigma = baseSigma * root;
    const r = sigma * gauss();
    // e^±r to third order: |r| ≪ 1, the error (r⁴/24) is far below a tick.
    const growth = 1 + r * (1 + r * (0.5 + r / 6));
    const o = forward ? price : Math.max(1, Math.round(price / growth));
    const c = forward ? Math.max(1, Math.round(price * growth)) : price;
    price = forward ? c : o;
    // Extremes of the bridge from 0 to x = r (log units), beyond the open and close themselves.
    // Moves are small (σ ≪ 1): e^u ≈ 1 + u + u²/2 is exact to well within a tick, and cheaper.
    const x = r;
    const twoVar = 2 * sigma * sigma;
    const up = Math.max(0, x, (x + Math.sqrt(x * x - twoVar * Math.log(1 - uniform()))) / 2 - shortfall * sigma);
    const down = Math.max(0, -x, (-x + Math.sqrt(x * x - twoVar * Math.log(1 - uniform()))) / 2 - shortfall * sigma);
    let h = Math.max(o, c, Math.round(o * (1 + up + (up * up) / 2)));
    let l = Math.max(1, Math.min(o, c, Math.round(o * (1 - down + (down * down) / 2))));
    // One trade can only end at the close; two can reach beyond it on one side only.
    if (k === 1) [h, l] = [Math.max(o, c), Math.min(o, c)];
    else if (k === 2) {
      if (h - Math.max(o, c) >= Math.min(o, c) - l) l = Math.min(o, c);
      else h = Math.max(o, c);
    }
    const v = Math.max(k, Math.round(activity * (k * TRADE_SIZE_MEAN + Math.sqrt(k) * TRADE_SIZE_SD * gauss())));
    close[j] = c;
    high[j] = h;
    low[j] = l;
    volume[j] = v;
    late[j] = uniform() < p.extraTradeProbability ? 1 : 0;
    if (h > dayHigh) dayHigh = h;
    if (l < dayLow) dayLow = l;
    dayVolume += v;
  }
  const last: ActivityState = { fast, slow };
  return {
    day,
    open: forward ? edgePrice : price,
    close,
    high,
    low,
    volume,
    late,
    dayHigh,
    dayLow,
    dayVolume,
    firstActivity: forward ? first : last,
    lastActivity: forward ? last : first,
  };
}
