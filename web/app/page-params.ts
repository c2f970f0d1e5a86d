import type { SyncMode } from '../sync/live-frames.js';

/** Shown when the URL names no series (issue 5). */
export const DEFAULT_SERIES_ID = 'binance:futures:BTC/USDT:1m';

export interface PageParams {
  seriesId: string;
  mode: SyncMode;
}

/** `/live?series_id=…&mode=snapshot`; anything but `mode=snapshot` means the HTTP + since path. */
export function readPageParams(search: string): PageParams {
  const params = new URLSearchParams(search);
  const seriesId = params.get('series_id')?.trim() || DEFAULT_SERIES_ID;
  return { seriesId, mode: params.get('mode') === 'snapshot' ? 'snapshot' : 'history' };
}

/**
 * The page URL with `series_id` set and every other parameter (mode, …) kept, for
 * history.replaceState: a switch is shareable and survives reload, but adds no history entries.
 */
export function urlWithSeries(href: string, seriesId: string): string {
  const url = new URL(href);
  url.searchParams.set('series_id', seriesId);
  // ':' and '/' are legal in a query (RFC 3986 §3.4); keeping them readable keeps the URL shareable.
  const search = url.searchParams.toString().replace(/%3A/gi, ':').replace(/%2F/gi, '/');
  return `${url.pathname}?${search}${url.hash}`;
}
