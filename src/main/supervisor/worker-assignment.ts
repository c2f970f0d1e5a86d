import type { Config } from '../config/settings.js';
import { binanceSeriesOf } from '../../domain/binance-symbols.js';
import type { RestBlockBuffers } from '../../exchange/binance/shared-rest-block.js';
import type { IngestWorkerData } from '../../ingest/contract.js';
import { IngestWorkerClient, type FormingSink, type ProducerStore } from './ingest-worker-client.js';

/** Which worker runs a series, whether one can, and what every worker is told at spawn. */

/** What each ingest worker gets from the settings. */
export function ingestWorkerData(config: Config, restBlocks?: RestBlockBuffers): Omit<IngestWorkerData, 'index' | 'logLevel'> {
  return {
    settings: {
      binanceSpotWsUrl: config.binanceSpotWsUrl,
      binanceFuturesWsUrl: config.binanceFuturesWsUrl,
      binanceSpotRestUrl: config.binanceSpotRestUrl,
      binanceFuturesRestUrl: config.binanceFuturesRestUrl,
      binanceWsBatchMax: config.binanceWsBatchMax,
      binanceWsFlushS: config.binanceWsFlushS,
      formingMinIntervalMs: config.formingMinIntervalMs,
    },
    stream: {
      silenceTimeoutMs: config.binanceWsSilenceTimeoutS * 1000,
      rotateAfterMs: config.binanceWsRotateAfterS * 1000,
      backoff: { baseMs: config.binanceWsReconnectMinMs, capMs: config.binanceWsReconnectMaxMs },
    },
    restBudgetWays: config.ingestWorkers,
    restBlocks,
    maxHoldMs: config.ingestGapHoldMaxS * 1000,
  };
}

/** Whether Binance can stream the series (exchange, market, interval, symbol). */
export function streamable(seriesId: string): boolean {
  try {
    binanceSeriesOf(seriesId);
    return true;
  } catch {
    return false;
  }
}

/** The worker a series is pinned to: FNV-1a of its market and stream, so aliases share a worker. */
export function workerIndexOf(seriesId: string, workers: number): number {
  if (workers <= 1) return 0;
  let key: string;
  try {
    const s = binanceSeriesOf(seriesId);
    key = `${s.market}:${s.stream}`;
  } catch {
    key = seriesId;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % workers;
}

/**
 * The gateway's ingest worker clients (INGEST_WORKERS of them, not started). Their forming
 * candles go to `forming` (the hub) directly; the supervisor only decides which series run where.
 */
export function ingestWorkerClients(config: Config, store: ProducerStore, forming: FormingSink, restBlocks?: RestBlockBuffers): IngestWorkerClient[] {
  const data = ingestWorkerData(config, restBlocks);
  return Array.from({ length: config.ingestWorkers }, (_, index) => new IngestWorkerClient({ index, data, store, forming }));
}
