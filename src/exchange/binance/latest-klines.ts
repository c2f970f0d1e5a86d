import type { KlinePage } from '../../domain/binance-kline-page.js';
import { CANDLE_STRIDE } from '../../domain/candle.js';
import { concatPacked, candlesAfter, sortDedupeByTime } from '../../domain/candle-batch.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { sliceCandlesJson, type CandlesJsonText } from '../../protocol/candle-json-text.js';
import { describeError } from '../../shared/errors.js';
import { MARKET_LIMITS } from './binance-endpoints.js';
import { BinanceRestError, type BinanceRestClient, type GapFillResult } from './binance-rest.js';

/**
 * The newest closed bars of a symbol from Binance REST klines, paged backward (tail coverage,
 * issue 11). Without `startTime`/`endTime` Binance answers the most recent rows, and the last of
 * them is the bar still forming (sources.md); every row before it is closed. So the first page
 * asks for one row more than wanted and drops its last, and older pages end before the first row
 * seen (all at once: their `endTime`s follow from it): no clock decides "closed" here, so neither a skewed host clock nor the fake's
 * faster virtual clock can make an open bar look closed or a closed one look open.
 */
export interface LatestRequest {
  readonly symbol: string;
  readonly interval: string;
  readonly tfSeconds: number;
  /** Closed bars wanted (the newest ones). */
  readonly count: number;
  /** Bars at or before this time (seconds) are already stored: paging stops there and they are left out. */
  readonly after: number | null;
  /** Also the candles' answer JSON, written from the exchange's digits, when they all come from the newest page. */
  readonly json?: boolean;
  /**
   * Sees the newest page's closed candles as soon as it is scanned (before its JSON is written):
   * the ingest worker asks for the older pages from there (older-page-prefetch.ts).
   */
  readonly onNewestScanned?: (candles: Float64Array) => void;
}

export type LatestKlines = GapFillResult & {
  /** Open time (seconds) of the bar still forming (the answer's last row); null when the symbol has no rows. */
  readonly currentOpen: number | null;
};

export async function fetchLatestClosed(client: BinanceRestClient, market: LiveMarket, req: LatestRequest, signal?: AbortSignal): Promise<LatestKlines> {
  const limits = MARKET_LIMITS[market];
  const tfMs = req.tfSeconds * 1000;
  let requests = 0;
  let weight = 0;
  // No clock decides "closed" (see above): every row counts as closed, and the first page's last
  // row, the bar still forming, is dropped by position.
  const page = (limit: number, endMs?: number, dropLast = false): Promise<KlinePage & { readonly json?: CandlesJsonText }> => {
    requests++;
    weight += limits.klinesWeight(limit);
    const end = endMs === undefined ? '' : `&endTime=${endMs}`;
    return client.getKlinePage(
      `${limits.klinesPath}?symbol=${encodeURIComponent(req.symbol)}&interval=${req.interval}${end}&limit=${limit}`,
      limits.klinesWeight(limit),
      signal,
      {
        nowMs: Number.MAX_SAFE_INTEGER,
        dropLast,
        json: dropLast && req.json === true,
        ...(dropLast && req.onNewestScanned ? { onScanned: req.onNewestScanned } : {}),
      },
    );
  };
  const pages: Float64Array[] = [];
  let currentOpen: number | null = null;
  try {
    const firstLimit = Math.min(limits.klinesMaxLimit, req.count + 1);
    const first = await page(firstLimit, undefined, true);
    if (first.rows === 0) return { ok: true, candles: new Float64Array(0), requests, weight, currentOpen };
    currentOpen = seconds(first.lastRowOpenMs);
    pages.push(candlesAfter(first.candles, req.after));
    const oldest = seconds(first.firstRowOpenMs);
    // A short first page: the exchange has nothing older. Else the older pages are known by time
    // alone, so they go out together (one round trip instead of one per page).
    let missing = req.count - pages[0]!.length / CANDLE_STRIDE;
    if (req.after !== null && oldest !== null) missing = Math.min(missing, Math.round((oldest - req.after) / req.tfSeconds) - 1);
    if (first.rows === firstLimit && oldest !== null && missing > 0) {
      const older: Array<Promise<KlinePage>> = [];
      for (let endMs = oldest * 1000 - 1; missing > 0;) {
        const limit = Math.min(limits.klinesMaxLimit, missing);
        older.push(page(limit, endMs));
        missing -= limit;
        endMs -= limit * tfMs;
      }
      for (const olderPage of (await Promise.all(older)).reverse()) pages.unshift(candlesAfter(olderPage.candles, req.after));
    }
    const candles = newest(sortDedupeByTime(concatPacked(pages)), req.count);
    const json = first.json && textOf(candles, first.candles, first.json);
    return { ok: true, candles, requests, weight, currentOpen, ...(json ? { json } : {}) };
  } catch (err) {
    const error = err instanceof BinanceRestError ? err : new BinanceRestError(signal?.aborted ? 'aborted' : 'network', describeError(err));
    // Only the newest page is kept: older ones may have a hole between them and it.
    return { ok: false, error, candles: pages.length > 0 ? pages[pages.length - 1]! : new Float64Array(0), requests, weight, currentOpen };
  }
}

/** The newest `count` candles of an ascending packed run. */
function newest(packed: Float64Array, count: number): Float64Array {
  return packed.length > count * CANDLE_STRIDE ? packed.subarray(packed.length - count * CANDLE_STRIDE) : packed;
}

/** The JSON of `candles` when they are a run of the page's candles (the same buffer), else undefined. */
function textOf(candles: Float64Array, page: Float64Array, json: CandlesJsonText): CandlesJsonText | undefined {
  if (candles.buffer !== page.buffer || candles.length === 0) return undefined;
  const from = (candles.byteOffset - page.byteOffset) / (CANDLE_STRIDE * Float64Array.BYTES_PER_ELEMENT);
  return sliceCandlesJson(json, from, from + candles.length / CANDLE_STRIDE);
}

function seconds(ms: number | undefined): number | null {
  return ms === undefined ? null : ms / 1000;
}
