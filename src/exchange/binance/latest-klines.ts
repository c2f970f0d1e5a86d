import { CANDLE_STRIDE } from '../../domain/candle.js';
import { candlesAfter } from '../../domain/candle-batch.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { sliceCandlesJson, type CandlesJsonText } from '../../protocol/candle-json-text.js';
import { describeError } from '../../shared/errors.js';
import { MARKET_LIMITS } from './binance-endpoints.js';
import { BinanceRestError, type BinanceRestClient, type GapFillResult } from './binance-rest.js';

/**
 * The newest closed bars of a symbol from Binance REST klines: one page, the exchange's newest
 * (tail coverage, issue 11). Without `startTime`/`endTime` Binance answers the most recent rows,
 * and the last of them is the bar still forming (sources.md); every row before it is closed. So
 * the page asks for one row more than wanted and drops its last: no clock decides "closed" here,
 * so neither a skewed host clock nor the fake's faster virtual clock can make an open bar look
 * closed or a closed one look open. A longer tail's older pages follow from this page's oldest bar
 * by time alone (domain/older-pages.ts): the main thread asks for them (main/holes/latest-pages.ts),
 * or the ingest worker ahead of it (ingest/older-page-prefetch.ts).
 */
export interface LatestRequest {
  readonly symbol: string;
  readonly interval: string;
  readonly tfSeconds: number;
  /** Closed bars wanted, the newest ones: at most a page less its forming row (999 spot, 1,499 futures). */
  readonly count: number;
  /** Bars at or before this time (seconds) are already stored: they are left out. */
  readonly after: number | null;
  /** Also the candles' answer JSON, written from the exchange's digits. */
  readonly json?: boolean;
  /**
   * Sees the page's closed candles as soon as they are scanned (before their JSON is written): the
   * ingest worker asks for the older pages from there (older-page-prefetch.ts).
   */
  readonly onNewestScanned?: (candles: Float64Array) => void;
}

export type LatestKlines = GapFillResult & {
  /** Open time (seconds) of the bar still forming (the answer's last row); null when the symbol has no rows. */
  readonly currentOpen: number | null;
};

export async function fetchLatestClosed(client: BinanceRestClient, market: LiveMarket, req: LatestRequest, signal?: AbortSignal): Promise<LatestKlines> {
  const limits = MARKET_LIMITS[market];
  const limit = Math.min(limits.klinesMaxLimit, req.count + 1);
  const weight = limits.klinesWeight(limit);
  try {
    const page = await client.getKlinePage(
      `${limits.klinesPath}?symbol=${encodeURIComponent(req.symbol)}&interval=${req.interval}&limit=${limit}`,
      weight,
      signal,
      {
        nowMs: Number.MAX_SAFE_INTEGER,
        dropLast: true,
        json: req.json === true,
        ...(req.onNewestScanned ? { onScanned: req.onNewestScanned } : {}),
      },
    );
    const candles = candlesAfter(page.candles, req.after);
    const json = page.json && textOf(candles, page.candles, page.json);
    return { ok: true, candles, requests: 1, weight, currentOpen: seconds(page.lastRowOpenMs), ...(json ? { json } : {}) };
  } catch (err) {
    const error = err instanceof BinanceRestError ? err : new BinanceRestError(signal?.aborted ? 'aborted' : 'network', describeError(err));
    return { ok: false, error, candles: new Float64Array(0), requests: 1, weight, currentOpen: null };
  }
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
