import { binanceSeriesOf } from '../../domain/binance-symbols.js';
import { createLogger } from '../../shared/log.js';
import type { MarketStore } from '../store/market-store.js';

const log = createLogger('holes.import-seam');

/** The history bootstrap as the supervisor sees it (src/main/history/bootstrapper.ts). */
export interface HistoryHooks {
  /** Bootstraps a series from its freqtrade file unless this process already did. */
  ensure(seriesId: string): Promise<unknown>;
  /** After every bootstrap that committed candles: the newest candle time imported. */
  onBootstrapped(listener: (seriesId: string, lastTime: number) => void): void;
}

/**
 * The seam between imported history and a running job (a hole only REST can fill, gap-policy.ts).
 * History was imported behind a job that is already running (e.g. its file appeared later, after
 * a download): the bars between the file's last candle and the first candle the job stored are
 * a hole only REST can fill. Returns the range asked for, or null when there is no hole. A job
 * that starts after the import needs none of this: it reads the new store head.
 */
export async function fillBehindImport(
  store: Pick<MarketStore, 'after'>,
  fill: (from: number, to: number | null) => Promise<void>,
  seriesId: string,
  lastTime: number,
): Promise<[number, number | null] | null> {
  const tf = binanceSeriesOf(seriesId).tfSeconds;
  const next = await store.after(seriesId, lastTime, 1);
  const first = next.data.length > 0 ? next.data[0]! : null;
  if (first === lastTime + tf) return null;
  const range: [number, number | null] = [lastTime + tf, first === null ? null : first - tf];
  await fill(range[0], range[1]);
  return range;
}

/** Fills behind every import that lands under a running job (`running`: the series' job is live). */
export function followImports(
  history: Pick<HistoryHooks, 'onBootstrapped'>,
  store: Pick<MarketStore, 'after'>,
  running: (seriesId: string) => boolean,
  fill: (seriesId: string, from: number, to: number | null) => Promise<void>,
): void {
  history.onBootstrapped((seriesId, lastTime) => {
    if (!running(seriesId)) return; // a job starting now reads the new store head itself
    fillBehindImport(store, (from, to) => fill(seriesId, from, to), seriesId, lastTime).then(
      (range) =>
        range && log.info('history imported behind a running job; filling up to its first candle from REST', { seriesId, from: range[0], to: range[1] }),
      (err) => log.warn('could not fill behind imported history', { seriesId, error: err }),
    );
  });
}
