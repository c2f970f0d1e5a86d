/**
 * What tail coverage knows about each series it has tried (tail-coverage.ts), bounded: clients may
 * name any number of series, so the oldest entries are forgotten beyond `MAX_REMEMBERED_SERIES`
 * (a forgotten series is simply covered again: one cheap request when the store has its tail).
 */
export type CoverageState =
  /**
   * The store holds the tail up to the exchange's last closed bar. `exchangeOffsetMs` = exchange
   * minus local time learned from the answer (the forming bar's open: a lower bound), so later
   * reads can tell whether the stored head has fallen behind; `checkedAt` = last such check.
   */
  | { readonly kind: 'covered'; readonly exchangeOffsetMs: number | null; checkedAt: number }
  /** Nothing to fetch: not an exchange we fetch from, no exchange, or only stored by other means. */
  | { readonly kind: 'store_only' }
  /**
   * Nothing stored and the exchange cannot have it: Binance answered -1121 (`unknown_symbol`, asked
   * again after `until`), or a timeframe or symbol Binance lacks (`bad_request`, for good). Reads
   * answer this error.
   */
  | { readonly kind: 'refused'; readonly code: 'unknown_symbol' | 'bad_request'; readonly message: string; readonly until: number }
  /** The last try stopped short; the next one is due at `retryAt`. */
  | { readonly kind: 'failed'; readonly retryAt: number; readonly failures: number };

import { GatewayError } from '../../shared/errors.js';

/** Series remembered (~100 bytes each). */
export const MAX_REMEMBERED_SERIES = 100_000;

export class CoverageBook {
  private readonly states = new Map<string, CoverageState>();

  get(seriesId: string): CoverageState | undefined {
    return this.states.get(seriesId);
  }

  set(seriesId: string, state: CoverageState): void {
    this.states.delete(seriesId); // re-insert: the map's order is least recently settled first
    this.states.set(seriesId, state);
    if (this.states.size > MAX_REMEMBERED_SERIES) {
      for (const id of this.states.keys()) {
        if (this.states.size <= MAX_REMEMBERED_SERIES * 0.9) break;
        this.states.delete(id);
      }
    }
  }

  /**
   * Whether a coverage run of a series is due at `now` (no store read needed to tell): never tried,
   * a refusal or a failure whose time is up, or covered but not checked within the last bar
   * (`tfMs`: until then its head cannot have fallen a whole bar behind).
   */
  due(seriesId: string, now: number, tfMs: number): boolean {
    const state = this.states.get(seriesId);
    switch (state?.kind) {
      case undefined:
        return true;
      case 'store_only':
        return false;
      case 'refused':
        return now >= state.until;
      case 'failed':
        return now >= state.retryAt;
      case 'covered':
        return now - state.checkedAt >= tfMs;
    }
  }

  /** The error reads of a refused series get until its refusal ends, else null. */
  refusal(seriesId: string, now: number): GatewayError | null {
    const state = this.states.get(seriesId);
    if (state?.kind !== 'refused' || now >= state.until) return null;
    return new GatewayError(state.code, state.message);
  }

  /** Failures in a row of a series (0 unless its last try failed). */
  failures(seriesId: string): number {
    const state = this.states.get(seriesId);
    return state?.kind === 'failed' ? state.failures : 0;
  }
}
