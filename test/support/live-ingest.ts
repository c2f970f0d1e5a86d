import type { Config } from '../../src/config/settings.js';
import { binanceSeriesOf } from '../../src/domain/binance-symbols.js';
import type { FakeBinance } from '../../src/fake-binance/fake-binance.js';
import { http, type WsClient } from './gateway-harness.js';

/** Helpers for gateway tests that ingest from the fake exchange. */

/** Settings pointing the gateway at the fake, with reconnects short enough for tests. */
export function fakeBinanceSettings(fake: FakeBinance, overrides: Partial<Config> = {}): Partial<Config> {
  return {
    binanceSpotWsUrl: fake.wsUrl('spot'),
    binanceFuturesWsUrl: fake.wsUrl('futures'),
    binanceSpotRestUrl: fake.restUrl(),
    binanceFuturesRestUrl: fake.restUrl(),
    binanceWsReconnectMinMs: 100,
    binanceWsReconnectMaxMs: 400,
    ...overrides,
  };
}

/** A candle row as compared in tests: [time, open, high, low, close, volume]. */
export type Row = [number, number, number, number, number, number];

/** The closed bars the fake produced for a series, as rows. */
export function exchangeBars(fake: FakeBinance, seriesId: string): Row[] {
  const s = binanceSeriesOf(seriesId);
  return fake.generators[s.market].history(s.stream).map((b) => [b.t / 1000, +b.o, +b.h, +b.l, +b.c, +b.v]);
}

export function rowOf(c: { candle_time: number; open: number; high: number; low: number; close: number; volume: number }): Row {
  return [c.candle_time, c.open, c.high, c.low, c.close, c.volume];
}

/** Every closed candle a client received for a series (catch-up, live, batches, snapshots), in arrival order. */
export function closedReceived(client: WsClient, seriesId: string): Row[] {
  const out: Row[] = [];
  for (const m of client.messages) {
    if (m.series_id !== seriesId) continue;
    if (m.type === 'candle_closed') out.push(rowOf(m.candle));
    else if (m.type === 'candles_batch' || m.type === 'snapshot') out.push(...m.candles.map(rowOf));
  }
  return out;
}

export async function ingestState(gw: { url: string }): Promise<{ jobs: any[]; workers: any[]; [k: string]: any }> {
  const res = await http(gw.url, 'GET', '/api/market/debug/ingest_state');
  if (res.status !== 200) throw new Error(`ingest_state answered ${res.status}: ${res.text}`);
  return res.body;
}

export async function jobOf(gw: { url: string }, seriesId: string): Promise<any | undefined> {
  return (await ingestState(gw)).jobs.find((j) => j.series_id === seriesId);
}
