import type { Candle } from '../../src/domain/candle.js';
import type { FetchLike } from './transport.js';
import { describeErrorBody, parseCandlesBody, WireFormatError } from './wire.js';

/**
 * `GET /api/market/candles` (contract §2): no `since` → the latest `limit`; `since=S` → the first
 * `limit` after S; `before=T` → the last `limit` before T (scroll-back).
 */
export interface CandlesQuery {
  seriesId: string;
  limit: number;
  since?: number | null;
  before?: number;
}

export type CandlesResult = { ok: true; candles: Candle[] } | { ok: false; retryable: boolean; reason: string };

export function candlesUrl(httpBase: string, q: CandlesQuery): string {
  let url = `${httpBase}/api/market/candles?series_id=${encodeURIComponent(q.seriesId)}`;
  if (q.since !== undefined && q.since !== null) url += `&since=${q.since}`;
  if (q.before !== undefined) url += `&before=${q.before}`;
  return `${url}&limit=${q.limit}`;
}

/** 4xx means our request is wrong and asking again cannot help; 408/429 are the exceptions. */
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** One request, never throwing: the caller decides from `retryable` whether to try again later. */
export async function getCandles(fetch: FetchLike, httpBase: string, q: CandlesQuery): Promise<CandlesResult> {
  let res;
  try {
    res = await fetch(candlesUrl(httpBase, q));
  } catch (err) {
    return { ok: false, retryable: true, reason: `network error: ${err instanceof Error ? err.message : String(err)}` };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const detail = describeErrorBody(body);
    return { ok: false, retryable: isRetryableStatus(res.status), reason: `HTTP ${res.status}${detail ? ` ${detail}` : ''}` };
  }
  try {
    return { ok: true, candles: parseCandlesBody(body) };
  } catch (err) {
    // A proxy's HTML error page or a truncated body: transient more often than not.
    const why = err instanceof WireFormatError ? err.message : 'unreadable body';
    return { ok: false, retryable: true, reason: `bad response: ${why}` };
  }
}
