import type { FetchedKlines } from '../../ingest/contract.js';

export type { FetchedKlines };

/**
 * The exchange as the backfill service sees it: closed candles of a series for a time range,
 * fetched without storing them. Live ingest provides it (the ingest supervisor routes the call to
 * the series' ingest worker, which spends its share of the REST weight budget); the gateway
 * connects it to the service once ingest runs (gateway.ts), so neither is built inside the other.
 */
export interface ExchangeKlines {
  /** Closed candles `from`..`to` (seconds, inclusive), ascending; rejects only when no worker can ask. */
  fetchClosed(seriesId: string, from: number, to: number): Promise<FetchedKlines>;
}
