import type { RestBlockBuffers } from '../../exchange/binance/shared-rest-block.js';
import type { Config } from '../config/settings.js';
import { IngestSupervisor, type IngestSupervisorOptions } from './ingest-supervisor.js';
import type { FormingSink } from './ingest-worker-client.js';
import { ingestWorkerClients } from './worker-assignment.js';

/** Live ingest runs when whitelist or on-demand ingest is on (contract §4). */
export function liveIngestEnabled(config: Config): boolean {
  return config.enableWhitelistIngest || config.enableOndemandIngest;
}

export interface LiveIngestOptions extends Omit<IngestSupervisorOptions, 'workers'> {
  /** Where the workers' forming candles go (the hub), straight from each worker's client. */
  readonly forming: FormingSink;
  /** The process-wide REST Retry-After blocks, shared with the workers. */
  readonly restBlocks?: RestBlockBuffers;
}

/**
 * Starts live Binance ingest: the worker threads' clients and the supervisor over them. The
 * gateway hands in what it needs (store, forming sink, hooks, the backfill service the supervisor
 * registers with as its exchange), so nothing here refers back to the gateway.
 */
export function startLiveIngest({ forming, restBlocks, ...options }: LiveIngestOptions): Promise<IngestSupervisor> {
  return IngestSupervisor.start({ ...options, workers: ingestWorkerClients(options.config, options.store, forming, restBlocks) });
}
