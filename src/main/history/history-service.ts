import type { Config } from '../config/settings.js';
import type { SeriesId } from '../../domain/series-id.js';
import { createLogger } from '../../shared/log.js';
import type { MarketStore } from '../store/market-store.js';
import { HistoryBootstrapper } from './bootstrapper.js';
import { findCandleFile, resolveDatadir, type FoundCandleFile } from './datadir.js';
import { createDecodePool } from './decode-pool.js';
import { DownloadTrigger } from './download-trigger.js';
import type { ImportRunner } from '../../decode/contract.js';
import { HistoryImporter } from './importer.js';

export type HistorySettings = Pick<
  Config,
  | 'freqtradeDatadir'
  | 'freqtradeConfig'
  | 'freqtradeUserdir'
  | 'freqtradeBootstrapLimit'
  | 'freqtradeBootstrapWaitMs'
  | 'freqtradeDownload'
  | 'freqtradeDownloadCooldownS'
  | 'freqtradeDownloadCommand'
  | 'freqtradeBin'
>;

/** freqtrade history as the gateway runs it (`TRADE_CANVAS_MARKET_HISTORY_SOURCE=freqtrade`). */
export interface History {
  readonly bootstrapper: HistoryBootstrapper;
  readonly importer: HistoryImporter;
  /** Stops bootstraps and downloads, closes the decode pool. */
  close(): Promise<void>;
}

const log = createLogger('history');

/**
 * Wires the freqtrade history pieces for a running gateway: datadir resolution (per exchange, once),
 * the decode pool, the importer on the gateway's store, the optional download trigger, and the
 * bootstrapper that ties them together.
 */
export function startHistory(settings: HistorySettings, store: MarketStore, runner?: ImportRunner & { close?(): Promise<void> }): History {
  const pool = runner ?? createDecodePool();
  const importer = new HistoryImporter(store, pool);
  const dirsByExchange = new Map<string, readonly string[]>();
  const searchDirs = (exchange: string): readonly string[] => {
    let dirs = dirsByExchange.get(exchange);
    if (!dirs) {
      const resolution = resolveDatadir(settings, exchange);
      for (const note of resolution.notes) log.warn(note);
      if (resolution.source === 'none')
        log.warn('history source is freqtrade but no datadir is configured (TRADE_CANVAS_FREQTRADE_DATADIR, _CONFIG or _USERDIR)');
      else log.info('freqtrade datadir', { exchange, from: resolution.source, search: resolution.searchDirs });
      dirs = resolution.searchDirs;
      dirsByExchange.set(exchange, dirs);
    }
    return dirs;
  };
  const download = settings.freqtradeDownload ? downloadTrigger(settings, searchDirs) : null;

  const locate = async (series: SeriesId): Promise<FoundCandleFile | undefined> => {
    const dirs = searchDirs(series.exchange);
    const found = await findCandleFile(dirs, series);
    if (found || !download) return found;
    const outcome = await download(series);
    return outcome === 'downloaded' ? findCandleFile(dirs, series) : undefined;
  };
  const bootstrapper = new HistoryBootstrapper({
    store,
    importer,
    locate,
    limit: settings.freqtradeBootstrapLimit,
    readWaitMs: settings.freqtradeBootstrapWaitMs,
  });
  log.info('freqtrade history bootstrap enabled', { limit: settings.freqtradeBootstrapLimit || 'whole file', download: settings.freqtradeDownload });

  return {
    bootstrapper,
    importer,
    async close() {
      bootstrapper.close();
      download?.close();
      await pool.close?.();
    },
  };
}

/** The download trigger writes into the configured datadir (the first search dir, as given). */
function downloadTrigger(settings: HistorySettings, searchDirs: (exchange: string) => readonly string[]) {
  const triggers = new Map<string, DownloadTrigger | null>();
  const download = (series: SeriesId) => {
    let trigger = triggers.get(series.exchange);
    if (trigger === undefined) {
      const datadir = searchDirs(series.exchange)[0];
      if (!datadir) log.warn('FREQTRADE_DOWNLOAD is on but no datadir is configured; nothing to download into');
      trigger = datadir
        ? new DownloadTrigger({
            command: settings.freqtradeDownloadCommand,
            bin: settings.freqtradeBin,
            cooldownS: settings.freqtradeDownloadCooldownS,
            datadir,
          })
        : null;
      triggers.set(series.exchange, trigger);
    }
    return trigger ? trigger.download(series) : Promise.resolve('failed' as const);
  };
  download.close = () => triggers.forEach((t) => t?.close());
  return download;
}
