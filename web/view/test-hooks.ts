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

/** The read-only handle behind `window.__klineChart`. */
export interface ChartDebugHandle {
  /** candle_time of every bar in the chart's candlestick series, ascending. */
  times(): number[];
  /** First and last time on screen, or null without data. */
  visibleTimes(): { from: number; to: number } | null;
  /** x (CSS pixels) at which the bar of `time` is drawn, or null. */
  xOf(time: number): number | null;
}

declare global {
  interface Window {
    readonly __klineChart?: ChartDebugHandle;
  }
}

/**
 * The data-* hooks describe only the last bar, so a hole in the middle (a gap the page failed to
 * refill) would be invisible to the E2E suite. This exposes which bars the chart holds, read-only
 * (frozen, non-writable), with no way to change what is shown.
 */
export function exposeChartDebugHandle(view: Pick<ChartDebugHandle, 'visibleTimes' | 'xOf'> & { shownTimes(): number[] }): void {
  const handle: ChartDebugHandle = Object.freeze({
    times: () => view.shownTimes(),
    visibleTimes: () => view.visibleTimes(),
    xOf: (time: number) => view.xOf(time),
  });
  Object.defineProperty(window, '__klineChart', { value: handle, enumerable: false, writable: false, configurable: false });
}
