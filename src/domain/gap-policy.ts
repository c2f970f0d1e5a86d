/**
 * The gap policy: what happens to a hole in a series (contract §3, issue 3 "no gap for holes we
 * could fill"), in one place for every thread. A hole is a run of missing bars between two
 * candles of a series; bars are aligned to the timeframe, so a jump smaller than one bar is none.
 *
 * Where a hole shows and what is done with it:
 *  1. **Held** (ingest worker, `GapHold`): a job that sees its own stream jump (a lost frame, a
 *     reconnect, downtime since the store head) holds its newer closed candles, fetches the hole
 *     from REST, then sends filled and held candles together, ascending. The hold is bounded
 *     (`DEFAULT_MAX_HELD` candles, `INGEST_GAP_HOLD_MAX_S`); past it, or when REST has nothing
 *     (an exchange-side hole is data, not an error: sources.md), the candles go out as they are.
 *  2. **Filled** (main thread, `BackfillService`, when ENABLE_MARKET_GAP_BACKFILL is on): a
 *     subscriber about to receive a candle past `last_sent_time + tf` first gets the hole read
 *     from the store, then fetched from the exchange through an ingest worker and committed, then
 *     read again — waiting at most `BACKFILL_WAIT_MS`.
 *  3. **Announced** (main thread, hub): whatever is still missing is announced with one `gap`
 *     (`expected_next_time` = last sent + tf, `actual_time` = the next candle) before the candle.
 *     Without a reference point (a tail catch-up, `since` ≤ 0) there is no hole to announce.
 */

/**
 * Missing time before a candle, in the `gap` message's terms: bars from `expectedNext` up to (not
 * including) the candle at `actual` (seconds). On aligned exchange data the missing bars are
 * `expectedNext`, `expectedNext + tf`, …, `actual - tf`.
 */
export interface Hole {
  readonly expectedNext: number;
  readonly actual: number;
}

/**
 * The hole between a candle at `prev` and the next one at `next` (contract §3: the next candle is
 * past `prev + tf`), or null when there is none or no reference point (`prev` null: a tail
 * catch-up, `since` ≤ 0).
 */
export function holeBefore(prev: number | null | undefined, next: number, tfSeconds: number): Hole | null {
  if (prev === null || prev === undefined || next <= prev + tfSeconds) return null;
  return { expectedNext: prev + tfSeconds, actual: next };
}

/** Whole bars missing in a hole (0 for a jump shorter than two bars on unaligned data). */
export function holeBars(hole: Hole, tfSeconds: number): number {
  return Math.max(0, Math.floor((hole.actual - hole.expectedNext) / tfSeconds));
}

/** The last missing bar's time (aligned data): REST ranges are inclusive of it. */
export function lastMissingBar(hole: Hole, tfSeconds: number): number {
  return hole.actual - tfSeconds;
}

/**
 * Longest a subscription waits for the exchange before it goes on with what the store has and
 * announces the rest as `gap`; its live delivery is paused meanwhile (hub/subscription.ts).
 */
export const BACKFILL_WAIT_MS = 10_000;

/** Live candles one job holds behind a hole at most before releasing them (GapHold). */
export const DEFAULT_MAX_HELD = 1000;
/** Longest one job holds (ms) before releasing (GapHold; setting INGEST_GAP_HOLD_MAX_S). */
export const DEFAULT_MAX_HOLD_MS = 30_000;
