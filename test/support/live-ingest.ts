import type { Config } from '../../src/main/config/settings.js';
import { binanceSeriesOf } from '../../src/domain/binance-symbols.js';
import type { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { http, type WsClient } from './gateway-harness.js';
import { waitFor, waitForAsync } from './wait.js';

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

/** Every closed candle the gateway stored for a series, read over HTTP. */
export async function storedRows(gw: { url: string }, seriesId: string): Promise<Row[]> {
  const res = await http(gw.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(seriesId)}&since=0&limit=5000`);
  return res.body.candles.map(rowOf);
}

/** Pauses the fake in the middle of a bar, so no close is in flight. The caller resumes it. */
export async function pauseMidBar(fake: FakeBinance): Promise<void> {
  await waitFor(() => fake.now() % 60_000 > 15_000 && fake.now() % 60_000 < 45_000, 'the middle of a bar', 5_000);
  fake.pause();
}

/**
 * Waits (exchange paused) until the store holds the exchange's last closed bar of every series in
 * `series`, and each watcher's client has received it for each of the watcher's series.
 */
export async function untilCaughtUp(
  fake: FakeBinance,
  gw: { url: string },
  series: readonly string[],
  watchers: [WsClient, readonly string[]][],
): Promise<void> {
  const lastBar = (s: string) => exchangeBars(fake, s).at(-1)![0];
  await waitForAsync(
    async () => {
      for (const s of series) if ((await storedRows(gw, s)).at(-1)?.[0] !== lastBar(s)) return false;
      return watchers.every(([client, ss]) => ss.every((s) => closedReceived(client, s).at(-1)?.[0] === lastBar(s)));
    },
    'store and subscribers to reach the exchange',
    20_000,
  );
}
