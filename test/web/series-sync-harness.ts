import { expect } from 'vitest';
import type { BarChange } from '../../web/sync/candle-book.js';
import type { SyncMode } from '../../web/sync/live-frames.js';
import { SeriesSync, type LoadStatus } from '../../web/sync/series-sync.js';
import { candlesAt, fakeBrowser, settle } from './fake-browser.js';

/** A SeriesSync on a fake browser, and the page as the series-sync tests drive it. */

export const BTC = 'binance:futures:BTC/USDT:1m';
export const ETH = 'binance:spot:ETH/USDT:1m';
export const WS_URL = 'ws://page.test/ws/market';

export function start(mode: SyncMode = 'history') {
  const browser = fakeBrowser();
  const bars: BarChange[] = [];
  const statuses: Array<[LoadStatus, string]> = [];
  const warnings: string[] = [];
  const sync = new SeriesSync({
    transport: browser.transport,
    wsUrl: WS_URL,
    mode,
    warn: (m) => warnings.push(m),
    listener: { onBars: (c) => bars.push(c), onStatus: (s, r) => statuses.push([s, r]) },
  });
  return { ...browser, sync, bars, statuses, warnings };
}

export function body(seriesId: string, candles: unknown[]) {
  return { series_id: seriesId, server_head_time: null, candles };
}

export function times(sync: SeriesSync): number[] {
  return sync.book.bars().map((c) => c.candle_time);
}

/** A page showing BTC with closed candles at 60, 120, 180, subscribed on an open socket. */
export async function ready() {
  const t = start();
  t.sync.switchTo(BTC);
  t.socket().accept();
  t.http.calls[0]!.respond(200, body(BTC, candlesAt([60, 120, 180])));
  await settle();
  expect(t.sync.status).toBe('ready');
  t.bars.length = 0;
  return t;
}
