/**
 * Synthetic Binance klines with consistent OHLCV for the fake exchange. Each stream evolves one bar
 * at a time: every tick adds a trade to the forming bar (close moves by a seeded random walk, high
 * and low follow, volume and trade count grow) and sends a forming frame; once virtual time passes
 * the bar's end (plus a close delay, like Binance's 0.2–2 s) the closed frame goes out — the last
 * forming values, sometimes with one more trade no forming frame showed (fixtures README, AKROUSDT).
 * Every closed bar is kept, so tests compare what the gateway stored with what the "exchange" made,
 * and REST serves the same history. A stream may be seeded (StreamSeed: start price, tick size,
 * backfilled bars made of as many trades as a live bar gets), so history reads like what follows
 * it live (the offline demo, tools/demo/).
 *
 * Time is virtual: the caller passes `now` (ms) to tick(); fake-binance.ts maps real time to it at a
 * speed factor (a 1m bar can last 1 s of real time) or steps it per round in flood mode.
 */
import { mulberry32 } from '../lib/seeded-random.js';

export interface GeneratorOptions {
  /** Random seed; the same seed and ticks give the same frames. */
  readonly seed?: number;
  /** Virtual ms between a bar's end and its closed frame (default 200). */
  readonly closeDelayMs?: number;
  /** Probability the closed frame carries one trade never shown while forming (default 0.3). */
  readonly extraTradeProbability?: number;
  /** Closed bars made up front when a stream is created, so REST has history to page (default 0). */
  readonly backfillBars?: number;
  /** Most closed bars kept per stream (default unlimited); the oldest are dropped beyond it. */
  readonly historyLimit?: number;
  /**
   * Largest relative price move of one trade (default 0.001). A bar's spread grows with the
   * square root of its trades, so a demo with few ticks per bar raises it to keep bars lively.
   */
  readonly tradeStep?: number;
  /**
   * Busy and calm spells (default 0: every bar alike). Each bar gets an activity e^x, x following
   * an AR(1) walk with this standard deviation; trade sizes scale with the activity and price
   * moves with its square root, so volume varies and big bars come with big volume, as on a real
   * market. Without it a bar of many trades has nearly the same volume as the next one.
   */
  readonly activitySpread?: number;
}

/** How one stream starts (addStream); unset fields take the generator's defaults. */
export interface StreamSeed {
  /** First price (default: random in 10..100). */
  readonly startPrice?: number;
  /** Price decimals, the tick size (default 4). */
  readonly priceDecimals?: number;
  /** Closed bars made up front (default: the generator's backfillBars). */
  readonly backfillBars?: number;
  /**
   * Trades in each backfilled bar (default 1). As many as a live bar gets (bar length / tick)
   * makes the history look like what follows it live.
   */
  readonly tradesPerBar?: number;
}

/** One bar as Binance describes it; decimals are strings with a fixed precision per stream. */
export interface Bar {
  readonly t: number;
  readonly T: number;
  o: string;
  h: string;
  l: string;
  c: string;
  v: string;
  n: number;
  firstTrade: number;
  lastTrade: number;
}

export interface GeneratedFrame {
  readonly stream: string;
  /** The event JSON (`{"e":"kline",...}`); the server wraps it for combined connections. */
  readonly data: string;
  readonly closed: boolean;
  readonly openTimeMs: number;
  readonly eventTimeMs: number;
}

const INTERVAL_MS: Readonly<Record<string, number>> = {
  '1s': 1000,
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '3d': 259_200_000,
};

/** Milliseconds of a Binance interval name, or undefined. */
export function intervalMs(interval: string): number | undefined {
  return INTERVAL_MS[interval];
}

const DEFAULT_PRICE_DECIMALS = 4;
/** Bar-to-bar persistence of the activity walk: spells last about 1 / (1 − ρ) = 10 bars. */
const ACTIVITY_PERSISTENCE = 0.9;
const VOLUME_DECIMALS = 3;

class StreamState {
  readonly history: Bar[] = [];
  bar!: Bar;
  priceTicks: number;
  high = 0;
  low = 0;
  open = 0;
  volumeUnits = 0;
  tradeId = 1000;
  /** Log of the bar's activity (activitySpread); 0 = ordinary. */
  logActivity = 0;
  /** e^logActivity: trade size factor of the forming bar. */
  activity = 1;
  /** √activity: price step factor of the forming bar. */
  activityStep = 1;

  constructor(
    readonly stream: string,
    readonly symbol: string,
    readonly interval: string,
    readonly tfMs: number,
    readonly priceDecimals: number,
    startPriceTicks: number,
  ) {
    this.priceTicks = startPriceTicks;
  }
}

export class KlineGenerator {
  private readonly streams = new Map<string, StreamState>();
  private readonly opts: Required<GeneratorOptions>;
  private readonly rng: () => number;
  /** Width of a trade's move as a fraction of the price (twice tradeStep). */
  private readonly stepSpan: number;

  constructor(options: GeneratorOptions = {}) {
    this.opts = {
      seed: options.seed ?? 1,
      closeDelayMs: options.closeDelayMs ?? 200,
      extraTradeProbability: options.extraTradeProbability ?? 0.3,
      backfillBars: options.backfillBars ?? 0,
      historyLimit: options.historyLimit ?? Infinity,
      tradeStep: options.tradeStep ?? 0.001,
      activitySpread: options.activitySpread ?? 0,
    };
    this.rng = mulberry32(this.opts.seed >>> 0 || 1);
    this.stepSpan = 2 * this.opts.tradeStep;
  }

  /**
   * Starts generating `<symbol>@kline_<interval>` from the bar containing `now`, after the
   * backfilled bars; false for an unknown interval.
   */
  addStream(stream: string, now: number, seed: StreamSeed = {}): boolean {
    if (this.streams.has(stream)) return true;
    const at = stream.indexOf('@kline_');
    const interval = stream.slice(at + 7);
    const tf = intervalMs(interval);
    if (at <= 0 || tf === undefined) return false;
    const decimals = seed.priceDecimals ?? DEFAULT_PRICE_DECIMALS;
    const startTicks =
      seed.startPrice !== undefined ? Math.max(1, Math.round(seed.startPrice * 10 ** decimals)) : 100_000 + Math.floor(this.random() * 900_000);
    const s = new StreamState(stream, stream.slice(0, at).toUpperCase(), interval, tf, decimals, startTicks);
    const backfill = seed.backfillBars ?? this.opts.backfillBars;
    const trades = Math.max(1, seed.tradesPerBar ?? 1);
    const current = Math.floor(now / tf) * tf;
    this.openBar(s, current - backfill * tf);
    for (let i = 0; i < backfill; i++) {
      // Formatting every trade would cost more than the walk itself: show the bar once, at its end.
      for (let k = 0; k < trades; k++) this.trade(s, k === trades - 1);
      this.closeBar(s);
    }
    this.streams.set(stream, s);
    return true;
  }

  has(stream: string): boolean {
    return this.streams.has(stream);
  }

  streamNames(): string[] {
    return [...this.streams.keys()];
  }

  /** Closed bars of a stream, oldest first (the live array: do not mutate). */
  history(stream: string): readonly Bar[] {
    return this.streams.get(stream)?.history ?? [];
  }

  /** The bar still forming, if the stream exists. */
  formingBar(stream: string): Bar | undefined {
    return this.streams.get(stream)?.bar;
  }

  symbolOf(stream: string): string | undefined {
    return this.streams.get(stream)?.symbol;
  }

  /** Advances every stream to virtual time `now`: closed frames for ended bars, then one forming update. */
  tick(now: number, out: GeneratedFrame[] = []): GeneratedFrame[] {
    for (const s of this.streams.values()) this.tickStream(s, now, out);
    return out;
  }

  tickStream(s: StreamState | string, now: number, out: GeneratedFrame[]): void {
    const st = typeof s === 'string' ? this.streams.get(s) : s;
    if (!st) return;
    while (now >= st.bar.T + 1 + this.opts.closeDelayMs) {
      if (st.bar.n === 0 || this.random() < this.opts.extraTradeProbability) this.trade(st);
      const closed = st.bar;
      this.closeBar(st);
      out.push(this.frame(st, closed, true, now));
    }
    if (now > st.bar.T) return; // bar over, closed frame not due yet: Binance sends nothing meanwhile
    this.trade(st);
    out.push(this.frame(st, st.bar, false, now));
  }

  private frame(s: StreamState, b: Bar, closed: boolean, E: number): GeneratedFrame {
    const data =
      `{"e":"kline","E":${E},"s":"${s.symbol}","k":{"t":${b.t},"T":${b.T},"s":"${s.symbol}","i":"${s.interval}",` +
      `"f":${b.firstTrade},"L":${b.lastTrade},"o":"${b.o}","c":"${b.c}","h":"${b.h}","l":"${b.l}","v":"${b.v}","n":${b.n},` +
      `"x":${closed},"q":"0","V":"0","Q":"0","B":"0"}}`;
    return { stream: s.stream, data, closed, openTimeMs: b.t, eventTimeMs: E };
  }

  private openBar(s: StreamState, t: number): void {
    // Drawn only when asked for: the same seed keeps giving the same frames without it.
    if (this.opts.activitySpread > 0) {
      const p = ACTIVITY_PERSISTENCE;
      s.logActivity = p * s.logActivity + Math.sqrt(1 - p * p) * this.opts.activitySpread * this.gaussian();
      s.activity = Math.exp(s.logActivity);
      s.activityStep = Math.sqrt(s.activity);
    }
    const price = formatTicks(s.priceTicks, s.priceDecimals);
    s.open = s.high = s.low = s.priceTicks;
    s.volumeUnits = 0;
    s.bar = { t, T: t + s.tfMs - 1, o: price, h: price, l: price, c: price, v: '0.000', n: 0, firstTrade: s.tradeId + 1, lastTrade: s.tradeId };
  }

  private closeBar(s: StreamState): void {
    s.history.push(s.bar);
    if (s.history.length > this.opts.historyLimit) s.history.shift();
    this.openBar(s, s.bar.t + s.tfMs);
  }

  /**
   * One trade: close moves by up to ±tradeStep (0.1 % by default), volume grows by 0.001..1.000
   * units (both scaled by the bar's activity, if any). `show` = false leaves the bar's decimal
   * strings stale (a later shown trade fixes them).
   */
  private trade(s: StreamState, show = true): void {
    const step = Math.round((this.random() - 0.5) * this.stepSpan * s.activityStep * s.priceTicks);
    s.priceTicks = Math.max(1, s.priceTicks + step);
    s.high = Math.max(s.high, s.priceTicks);
    s.low = Math.min(s.low, s.priceTicks);
    const size = 1 + Math.floor(this.random() * 1000);
    s.volumeUnits += s.activity === 1 ? size : Math.max(1, Math.round(size * s.activity));
    s.tradeId++;
    const b = s.bar;
    b.n++;
    b.lastTrade = s.tradeId;
    if (!show) return;
    b.c = formatTicks(s.priceTicks, s.priceDecimals);
    b.h = formatTicks(s.high, s.priceDecimals);
    b.l = formatTicks(s.low, s.priceDecimals);
    b.v = formatTicks(s.volumeUnits, VOLUME_DECIMALS);
  }

  /** Seeded price noise (mulberry32): the same seed replays the same market. */
  private random(): number {
    return this.rng();
  }

  /** Standard normal variate (Box–Muller) from the seeded noise. */
  private gaussian(): number {
    return Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
  }
}

/** Integer ticks → fixed-point decimal string, exactly (no float formatting). */
function formatTicks(ticks: number, decimals: number): string {
  if (decimals === 0) return String(ticks);
  const text = String(ticks).padStart(decimals + 1, '0');
  return `${text.slice(0, -decimals)}.${text.slice(-decimals)}`;
}
