import type { FakeMarket, RestLimits } from './fake-rest.js';
import type { GeneratorOptions } from './kline-generator.js';

/** Real ms between forming updates by default: Binance futures' push rate. */
export const DEFAULT_TICK_MS = 250;
/** Trades per minute at most (a fast clock would otherwise make thousands per 1m bar). */
const MAX_TRADES_PER_MINUTE = 1000;

/** How a FakeBinance is started (fake-binance.ts); every field is optional. */
export interface FakeBinanceOptions {
  readonly host?: string;
  /** 0 (default) = an ephemeral port. */
  readonly port?: number;
  /** Virtual ms per real ms (default 1). */
  readonly speed?: number;
  /** Alternative to speed: real ms one 1m bar lasts (speed = 60000 / barMs). */
  readonly barMs?: number;
  /** Virtual time at start (default: now). */
  readonly startTimeMs?: number;
  /** Real ms between forming updates of every stream (default 250, Binance futures' push rate). */
  readonly tickMs?: number;
  /** Streams generated from the start, per market. */
  readonly streams?: Partial<Record<FakeMarket, string[]>>;
  /** Generate any `<symbol>@kline_<interval>` a client subscribes to or REST asks for (default true). */
  readonly autoCreate?: boolean;
  /** Per market, the only symbols that exist (others: REST -1121, subscriptions get nothing). */
  readonly symbols?: Partial<Record<FakeMarket, readonly string[]>>;
  /**
   * Days of REST history before 00:00 UTC of the start day, for any symbol and interval
   * (default 30; generator.historyDays otherwise).
   */
  readonly historyDays?: number;
  /** Seed, trades per minute, price step, activity, close delay: kline-generator.ts. */
  readonly generator?: GeneratorOptions;
  /** Server pings every N ms (default 0 = never; Binance: spot 20 s, futures 3 min). */
  readonly pingIntervalMs?: number;
  /** Inbound frames per second per connection (default spot 5, futures 10). */
  readonly inboundLimit?: Partial<Record<FakeMarket, number>>;
  /** Close connections that exceed the inbound limit, as Binance does (default false: only count). */
  readonly enforceInboundLimit?: boolean;
  readonly rest?: RestLimits;
  /** Keep a log of every generated frame (frameLog), for tests that compare sent with received. */
  readonly recordFrames?: boolean;
  /**
   * Replay a recording instead of generating (generation stays off for that market). The fake's
   * clock then starts at the recording's first frame (unless startTimeMs), running `speed` times
   * the wall clock (default 1), or as the test advances it (paused).
   */
  readonly replay?: { readonly file: string; readonly speed?: number; readonly market?: FakeMarket };
  /**
   * Start with the clock stopped: nothing is sent until the test calls advance(ms) (or
   * `/__control/advance?ms=N`), which sends what happened meanwhile, or resume(). Tests use it
   * instead of racing the wall clock.
   */
  readonly paused?: boolean;
}

/** Virtual ms per real ms. */
export function speedOf(opts: FakeBinanceOptions): number {
  if (opts.replay) return opts.replay.speed ?? 1;
  return opts.barMs ? 60_000 / opts.barMs : (opts.speed ?? 1);
}

/**
 * One market's generator settings: the markets' seeds differ (seed, seed + 1) so their paths do;
 * the paths start on the start day; a trade per forming update unless set, so a live bar moves
 * on every frame.
 */
export function generatorOptions(opts: FakeBinanceOptions, market: FakeMarket, originMs: number): GeneratorOptions {
  const seed = opts.generator?.seed ?? 1;
  const tradesPerMinute = Math.round(60_000 / ((opts.tickMs ?? DEFAULT_TICK_MS) * speedOf(opts)));
  return {
    ...opts.generator,
    tradesPerMinute: opts.generator?.tradesPerMinute ?? Math.min(MAX_TRADES_PER_MINUTE, Math.max(1, tradesPerMinute)),
    historyDays: opts.historyDays ?? opts.generator?.historyDays,
    seed: market === 'spot' ? seed : seed + 1,
    market,
    originMs,
    autoCreate: opts.autoCreate,
    symbols: opts.symbols?.[market],
  };
}
