import type { Config } from '../config/settings.js';
import { IngestSupervisor, type IngestSupervisorOptions } from './ingest-supervisor.js';

/** Live ingest runs when whitelist or on-demand ingest is on (contract §4). */
export function liveIngestEnabled(config: Config): boolean {
  return config.enableWhitelistIngest || config.enableOndemandIngest;
}

/**
 * Starts live Binance ingest: the supervisor and its worker threads. The gateway hands in what
 * it needs (store, forming sink, hooks) and connects the result to the hub's backfill service
 * afterwards (`IngestPlugin.exchange`), so nothing here refers back to the gateway.
 */
export function startLiveIngest(options: IngestSupervisorOptions): Promise<IngestSupervisor> {
  return IngestSupervisor.start(options);
}
