import type { FetchedKlines, FetchedLatest, OlderPagesAhead, StoredHead } from '../../ingest/contract.js';

export type { FetchedKlines, FetchedLatest, OlderPagesAhead, StoredHead };

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
  /** `aheadId`: a page of that tail-coverage run the worker may have fetched ahead (older-page-prefetch.ts). */
  fetchClosed(seriesId: string, from: number, to: number, json?: boolean, aheadId?: number): Promise<FetchedKlines>;
  /**
   * The newest `count` closed candles, from one page (`count` at
   * most a page less its forming row), and the bar forming now.
   * `ahead`: the worker fetches the older pages as soon as this one is scanned and `tailStoredHead`
   * has told it the stored head.
   */
  fetchLatest(seriesId: string, count: number, json?: boolean, ahead?: OlderPagesAhead): Promise<FetchedLatest>;
  /** Run `aheadId`'s stored head ('unknown': its read failed); fire and forget. */
  tailStoredHead(seriesId: string, aheadId: number, head: StoredHead): void;
}
