/**
 * The demo's one clock decision. The fake exchange runs a virtual clock: with bars shorter than a
 * minute it runs faster than the wall clock (5 s bars: 12×), so candle times run ahead of real
 * time. That is fine because everything that decides "is this bar closed" agrees on it: the fake
 * closes bars on its virtual clock and answers REST from it, the gateway's ingest judges bars by
 * the exchange's event times (src/ingest/jobs/exchange-clock.ts), never by the local clock, and the
 * history is cut from the fake's own bars. The wall clock only places the start: virtual time
 * begins at "now", so with real-time bars (the default) the chart shows the actual time.
 */

/** Real ms between forming updates of every stream: Binance futures' push rate. */
export const FORMING_TICK_MS = 250;

/**
 * Typical spread of a bar (close vs open, as a fraction of the price): a calm 1m crypto bar. Held
 * whatever the bar length, so fast-forwarded bars look like real-time ones.
 */
export const BAR_VOLATILITY = 0.0015;

/** Busy and calm spells (the generator's activitySpread): varied volume, bigger bars when busy. */
export const ACTIVITY_SPREAD = 0.5;

export interface DemoClock {
  /** Real ms one 1m bar lasts. */
  readonly barMs: number;
  /** Exchange (virtual) ms per real ms: 1 with real-time bars, 12 with 5 s bars. */
  readonly speed: number;
  readonly tickMs: number;
  /** Forming updates (one trade each) in a live bar; generated history bars get as many. */
  readonly tradesPerBar: number;
  /** Largest relative move of one trade, so that a bar of `tradesPerBar` trades has BAR_VOLATILITY. */
  readonly tradeStep: number;
}

export function demoClock(barSeconds: number): DemoClock {
  const barMs = Math.round(barSeconds * 1000);
  const tradesPerBar = Math.max(1, Math.round(barMs / FORMING_TICK_MS));
  // A trade moves uniformly within ±step (standard deviation step/√3); n of them add up to
  // step·√(n/3). Solve for the step that gives BAR_VOLATILITY.
  const tradeStep = BAR_VOLATILITY * Math.sqrt(3 / tradesPerBar);
  return { barMs, speed: 60_000 / barMs, tickMs: FORMING_TICK_MS, tradesPerBar, tradeStep };
}
