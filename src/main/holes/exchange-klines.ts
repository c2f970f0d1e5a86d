import type { FetchedKlines, FetchedLatest } from '../../ingest/contract.js';

export type { FetchedKlines, FetchedLatest };

/**
 * The exchange as the backfill service sees it: closed candles of a series, fetched without
 * storing them. Live ingest provides it: the ingest supervisor routes each call to the series'
 * ingest worker, which spends its share of the REST weight budget. The supervisor registers
 * itself with the service when it is built (before any job starts, so a whitelisted series can be
 * covered before it goes live); neither is built inside the other.
 */
export interface ExchangeKlines {
  /** Closed candles `from`..`to` (seconds, inclusive), ascending; rejects only when no worker can ask. */
  /** `json`: also the candles' answer JSON, written by the worker from the exchange's digits. */
  fetchClosed(seriesId: string, from: number, to: number, json?: boolean): Promise<FetchedKlines>;
  /** The newest `count` closed candles after `after` (the stored head), and the bar forming now. */
  fetchLatest(seriesId: string, count: number, after: number | null, json?: boolean): Promise<FetchedLatest>;
}
