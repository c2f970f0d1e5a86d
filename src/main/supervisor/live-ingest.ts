import type { Config } from '../config/settings.js';
import type { GatewayCore, GatewayPlugins } from '../gateway.js';
import { StoreGapFiller } from '../hub/store-gap-filler.js';
import { ExchangeGapFiller } from './exchange-gap-filler.js';
import type { BeforeJobStart } from './ingest-plugin.js';
import { IngestSupervisor } from './ingest-supervisor.js';
import { ingestWorkerClients } from './worker-assignment.js';

/** Live ingest runs when whitelist or on-demand ingest is on (contract §4). */
export function liveIngestEnabled(config: Config): boolean {
  return config.enableWhitelistIngest || config.enableOndemandIngest;
}

/**
 * The gateway plugins of live Binance ingest: the supervisor (`ingest`) and, for
 * ENABLE_MARKET_GAP_BACKFILL, a hub gap filler that falls back to REST through it. The hub is
 * built before the supervisor (the ingest workers feed it forming candles), so the filler finds the
 * supervisor through this closure once it runs.
 */
export function liveIngestPlugins(beforeJobStart?: (core: GatewayCore) => BeforeJobStart): Required<Pick<GatewayPlugins, 'ingest' | 'gapFiller'>> {
  let supervisor: IngestSupervisor | null = null;
  return {
    ingest: async (core) => {
      const history = core.history;
      supervisor = await IngestSupervisor.start({
        config: core.config,
        whitelist: core.whitelist,
        store: core.store,
        // Forming candles go from each worker's client straight to the hub.
        workers: ingestWorkerClients(core.config, core.store, core.hub),
        // The freqtrade bootstrap runs before a job starts, so its REST fill covers file end → now.
        beforeJobStart: beforeJobStart?.(core) ?? (history ? async (seriesId) => void (await history.ensure(seriesId)) : undefined),
        history: history ?? undefined,
      });
      return supervisor;
    },
    gapFiller: (base) =>
      new ExchangeGapFiller(new StoreGapFiller(base.reader, base.config.gapBackfillReadLimit), base.config.gapBackfillReadLimit, () =>
        supervisor ? (seriesId, from, to) => supervisor!.backfill(seriesId, from, to) : null,
      ),
  };
}
