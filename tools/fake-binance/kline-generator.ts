/**
 * Synthetic Binance klines for the fake exchange, one market's worth. Each symbol has one seeded
 * price path (price-path.ts) and every stream and REST answer of the symbol is cut from it
 * (path-bars.ts): a 5m bar is the aggregate of its five 1m bars, and REST history, which reaches
 * `historyDays` back before the origin (the fake's start), runs into the live bars without a hole
 * or an overlap. A symbol's path does not depend on which streams exist or what was asked before.
 *
 * Streams turn the path into frames on a virtual clock: the caller passes `now` (ms) to tick();
 * each tick sends a forming frame (the trades made by `now`), and once `now` passes a bar's end plus
 * a close delay (like Binance's 0.2–2 s) the closed frame goes out: the completed bar, sometimes
 * with a last trade no forming frame showed (minute-trades.ts). Every closed bar is kept per stream
 * (history()), so tests compare what the gateway stored with what the "exchange" sent.
 */
import type { FakeMarket } from './fake-rest.js';
import { marketInterval, type Interval } from './intervals.js';
import { pathBar, selectPathBars, type BarQuery } from './path-bars.js';
import type { PricePath } from './price-path.js';
import { SymbolPaths, type PathSeed } from './symbol-paths.js';

export type { PathSeed } from './symbol-paths.js';

export interface GeneratorOptions {
  /** Random seed; the same seed gives the same paths and, with the same ticks, the same frames. */
  readonly seed?: number;
  /** Virtual ms between a bar's end and its closed frame (default 200). */
  readonly closeDelayMs?: number;
  /** Probability that a minute's last trade comes after any forming update (default 0.3). */
  readonly extraTradeProbability?: number;
  /** Closed bars a new stream lists in history() before its first bar (default 0). */
  readonly backfillBars?: number;
  /** Most closed bars kept per stream (default unlimited); the oldest are dropped beyond it. */
  readonly historyLimit?: number;
  /**
   * Typical relative move of a 1m bar, σ of its log return (default 0.0015, a calm crypto minute;
   * a day then moves ~6 %), whatever the trades per minute.
   */
  readonly minuteVolatility?: number;
  /** Instead: largest relative move of one trade, so a 1m bar's σ is tradeStep·√(K/3) (the old model). */
  readonly tradeStep?: number;
  /** Trades per minute, K (default 12, one every 5 s). FakeBinance makes it one per forming update. */
  readonly tradesPerMinute?: number;
  /**
   * Busy and calm spells (default 0: every minute alike). A minute's activity is e^(x + y), x and
   * y AR(1) walks with this standard deviation, spells of ~10 minutes and ~12 hours; trade sizes
   * scale with it and price moves with its square root, so big bars come with big volume.
   */
  readonly activitySpread?: number;
  /** Days of history before the origin day (default 30): REST has nothing older. */
  readonly historyDays?: number;
  /** The paths start at 00:00 UTC of this time's day (default: the first `now` the generator sees). */
  readonly originMs?: number;
  /** `1s` exists on spot only (default spot). */
  readonly market?: FakeMarket;
  /** The symbols that exist; unset: any well-formed symbol. */
  readonly symbols?: readonly string[];
  /** Without `symbols`, whether REST serves a symbol no stream has used yet (default true). */
  readonly autoCreate?: boolean;
  /** Days of minutes cached across the generator's paths (default 64, ~3 MB). */
  readonly cachedDays?: number;
}

/** A new stream: how its symbol's path starts, if this is the symbol's first use, and its backfill. */
export interface StreamSeed extends PathSeed {
  /** Closed bars this stream lists in history() (default: the generator's backfillBars). */
  readonly backfillBars?: number;
}

/** One bar as Binance describes it; decimals are strings with a fixed precision per symbol. */
export interface Bar {
  readonly t: number;
  readonly T: number;
  readonly o: string;
  readonly h: string;
  readonly l: string;
  readonly c: string;
  readonly v: string;
  readonly n: number;
  readonly firstTrade: number;
  readonly lastTrade: number;
}

export interface GeneratedFrame {
  readonly stream: string;
  /** The event JSON (`{"e":"kline",...}`); the server wraps it for combined connections. */
  readonly data: string;
  readonly closed: boolean;
  readonly openTimeMs: number;
  readonly eventTimeMs: number;
}

class LiveStream {
  readonly history: Bar[] = [];
  constructor(
    readonly name: string,
    readonly interval: Interval,
    readonly path: PricePath,
    /** Open time of the bar being formed. */
    public open: number,
    public lastNow: number,
  ) {}
  get next(): number {
    return this.interval.nextOpen(this.open);
  }
}

export class KlineGenerator {
  private readonly streams = new Map<string, LiveStream>();
  private readonly paths: SymbolPaths;
  private readonly closeDelayMs: number;
  private readonly backfillBars: number;
  private readonly historyLimit: number;
  private readonly market: FakeMarket;
  private readonly autoCreate: boolean;

  constructor(options: GeneratorOptions = {}) {
    this.closeDelayMs = options.closeDelayMs ?? 200;
    this.backfillBars = options.backfillBars ?? 0;
    this.historyLimit = options.historyLimit ?? Infinity;
    this.market = options.market ?? 'spot';
    this.autoCreate = options.autoCreate ?? true;
    this.paths = new SymbolPaths({
      seed: options.seed ?? 1,
      historyDays: Math.max(0, Math.floor(options.historyDays ?? 30)),
      shared: {
        tradesPerMinute: options.tradesPerMinute ?? 12,
        tradeStep: options.tradeStep,
        minuteVolatility: options.minuteVolatility ?? 0.0015,
        activitySpread: options.activitySpread ?? 0,
        extraTradeProbability: options.extraTradeProbability ?? 0.3,
      },
      originMs: options.originMs,
      symbols: options.symbols,
      autoCreate: this.autoCreate,
      cachedDays: options.cachedDays ?? 64,
    });
  }

  /**
   * Starts generating `<symbol>@kline_<interval>` from the bar containing `now`, with `backfillBars`
   * closed bars of the path in history(); false for an unknown interval or symbol.
   */
  addStream(stream: string, now: number, seed: StreamSeed = {}): boolean {
    if (this.streams.has(stream)) return true;
    const at = stream.indexOf('@kline_');
    const interval = marketInterval(this.market, stream.slice(at + 7));
    const symbol = stream.slice(0, at).toUpperCase();
    if (at <= 0 || !interval) return false;
    const path = this.paths.pathOf(symbol, now, seed);
    if (!path) return false;
    const s = new LiveStream(stream, interval, path, interval.openOf(now), now);
    const backfill = Math.min(seed.backfillBars ?? this.backfillBars, this.historyLimit);
    if (backfill > 0) s.history.push(...selectPathBars(path, interval, { endTime: s.open - 1, limit: backfill, now }));
    this.streams.set(stream, s);
    return true;
  }

  /** Sets how `symbol`'s path starts, before anything uses it; false if the symbol does not exist. */
  seedSymbol(symbol: string, seed: PathSeed, now: number): boolean {
    return this.paths.pathOf(symbol, now, seed) !== undefined;
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

  /** The bar a stream is forming, as of its last tick. */
  formingBar(stream: string): Bar | undefined {
    const s = this.streams.get(stream);
    return s && pathBar(s.path, s.open, s.next, Math.min(s.lastNow, s.next - 1));
  }

  /** Whether `symbol` exists (REST answers -1121 otherwise). */
  hasSymbol(symbol: string): boolean {
    return this.paths.has(symbol);
  }

  /** Binance's kline selection from `symbol`'s path (fake-rest.ts); [] for a symbol that does not exist. */
  klines(symbol: string, interval: Interval, query: BarQuery): ReturnType<typeof selectPathBars> {
    const path = this.paths.has(symbol) ? this.paths.pathOf(symbol, query.now) : undefined;
    return path ? selectPathBars(path, interval, query) : [];
  }

  /**
   * The path of `symbol` aggregated over any window [fromMs, toMs) as of `now`, e.g. a rolling 24h
   * ticker (open, high, low, last price, volume, trade count); undefined if nothing is in it.
   */
  window(symbol: string, fromMs: number, toMs: number, now: number): Bar | undefined {
    const path = this.paths.has(symbol) ? this.paths.pathOf(symbol, now) : undefined;
    return path && pathBar(path, fromMs, toMs, now);
  }

  /**
   * A REST request's stream starts generating (with its backfill in history()) unless autoCreate
   * is off, as a subscription would: tests compare what the gateway stored with history().
   */
  touch(stream: string, now: number): void {
    if (this.autoCreate && !this.streams.has(stream)) this.addStream(stream, now);
  }

  /** Open time of the oldest minute with data: 00:00 UTC `historyDays` before the origin day. */
  historyStartMs(): number | undefined {
    return this.paths.historyStartMs();
  }

  /** Advances every stream to virtual time `now`: closed frames for ended bars, then one forming update. */
  tick(now: number, out: GeneratedFrame[] = []): GeneratedFrame[] {
    for (const s of this.streams.values()) this.advance(s, now, out);
    return out;
  }

  /** tick() for one stream. */
  tickStream(stream: string, now: number, out: GeneratedFrame[]): void {
    const s = this.streams.get(stream);
    if (s) this.advance(s, now, out);
  }

  private advance(s: LiveStream, now: number, out: GeneratedFrame[]): void {
    s.lastNow = now;
    while (now >= s.next + this.closeDelayMs) {
      const closed = pathBar(s.path, s.open, s.next, s.next - 1)!;
      s.history.push(closed);
      if (s.history.length > this.historyLimit) s.history.shift();
      out.push(this.frame(s, closed, true, now));
      s.open = s.next;
    }
    if (now >= s.next) return; // bar over, closed frame not due yet: Binance sends nothing meanwhile
    out.push(this.frame(s, pathBar(s.path, s.open, s.next, now)!, false, now));
  }

  private frame(s: LiveStream, b: Bar, closed: boolean, E: number): GeneratedFrame {
    const symbol = s.path.symbol;
    const data =
      `{"e":"kline","E":${E},"s":"${symbol}","k":{"t":${b.t},"T":${b.T},"s":"${symbol}","i":"${s.interval.name}",` +
      `"f":${b.firstTrade},"L":${b.lastTrade},"o":"${b.o}","c":"${b.c}","h":"${b.h}","l":"${b.l}","v":"${b.v}","n":${b.n},` +
      `"x":${closed},"q":"0","V":"0","Q":"0","B":"0"}}`;
    return { stream: s.name, data, closed, openTimeMs: b.t, eventTimeMs: E };
  }
}
