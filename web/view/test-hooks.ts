import type { Candle } from '../../src/domain/candle.js';
import type { LoadStatus } from '../sync/series-sync.js';

/** What the E2E suite reads off `[data-testid="chart-view"]`; kept current after every update. */
export interface HookState {
  seriesId: string | null;
  length: number;
  last: Candle | null;
  lastWsCandleTime: number | null;
  status: LoadStatus;
}

/**
 * The data-* attributes for a state. Numbers use JS formatting (`String(10.0)` is "10"), the same
 * the trade_canvas E2E suite compares against; absent values are "".
 */
export function hookAttributes(state: HookState): Record<string, string> {
  const last = state.last;
  return {
    'data-series-id': state.seriesId ?? '',
    'data-candles-len': String(state.length),
    'data-last-time': last ? String(last.candle_time) : '',
    'data-last-open': last ? String(last.open) : '',
    'data-last-high': last ? String(last.high) : '',
    'data-last-low': last ? String(last.low) : '',
    'data-last-close': last ? String(last.close) : '',
    'data-last-ws-candle-time': state.lastWsCandleTime === null ? '' : String(state.lastWsCandleTime),
    'data-live-load-status': state.status,
  };
}

/** Writes only the attributes that changed: a live tick touches one or two, not nine. */
export function writeHooks(element: HTMLElement, state: HookState): void {
  for (const [name, value] of Object.entries(hookAttributes(state))) {
    if (element.getAttribute(name) !== value) element.setAttribute(name, value);
  }
}
