import { parseKlineRows } from '../../domain/binance-rest-rows.js';
import { CANDLE_STRIDE } from '../../domain/candle.js';
import { concatPacked } from '../../domain/candle-batch.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { describeError } from '../../shared/errors.js';
import { MARKET_LIMITS } from './binance-endpoints.js';
import { BinanceRestError, type BinanceRestClient, type GapFillResult } from './binance-rest.js';

/**
 * The newest closed bars of a symbol from Binance REST klines, paged backward (tail coverage,
 * issue 11). Without `startTime`/`endTime` Binance answers the most recent rows, and the last of
 * them is the bar still forming (sources.md); every row before it is closed. So the first page
 * asks for one row more than wanted and drops its last, and older pages end just before the
 * first row seen: no clock decides "closed" here, so neither a skewed host clock nor the fake's
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
}

export type LatestKlines = GapFillResult & {
  /** Open time (seconds) of the bar still forming (the answer's last row); null when the symbol has no rows. */
  readonly currentOpen: number | null;
};

export async function fetchLatestClosed(client: BinanceRestClient, market: LiveMarket, req: LatestRequest, signal?: AbortSignal): Promise<LatestKlines> {
  const limits = MARKET_LIMITS[market];
  const pages: Float64Array[] = [];
  let remaining = req.count;
  let endMs: number | undefined;
  let currentOpen: number | null = null;
  let requests = 0;
  let weight = 0;
  try {
    while (remaining > 0) {
      const first = endMs === undefined;
      const limit = Math.min(limits.klinesMaxLimit, first ? remaining + 1 : remaining);
      const end = first ? '' : `&endTime=${endMs}`;
      requests++;
      weight += limits.klinesWeight(limit);
      const body = await client.getJson(
        `${limits.klinesPath}?symbol=${encodeURIComponent(req.symbol)}&interval=${req.interval}${end}&limit=${limit}`,
        limits.klinesWeight(limit),
        signal,
      );
      if (!Array.isArray(body)) throw new BinanceRestError('bad_response', 'klines response is not an array');
      if (body.length === 0) break; // nothing (older) on the exchange
      const rows = first ? body.slice(0, -1) : body;
      if (first) currentOpen = openSeconds(body[body.length - 1]);
      const page = newerThan(parseKlineRows(rows, Number.MAX_SAFE_INTEGER)!.candles, req.after);
      const keep = Math.min(remaining, page.length / CANDLE_STRIDE);
      pages.unshift(page.subarray(page.length - keep * CANDLE_STRIDE));
      remaining -= keep;
      const oldest = openSeconds(body[0]);
      // A short page: the exchange has nothing older. Reaching `after`: the store has the rest.
      if (body.length < limit || oldest === null || (req.after !== null && oldest <= req.after + req.tfSeconds)) break;
      endMs = oldest * 1000 - 1;
    }
    return { ok: true, candles: concatPacked(pages), requests, weight, currentOpen };
  } catch (err) {
    const error = err instanceof BinanceRestError ? err : new BinanceRestError(signal?.aborted ? 'aborted' : 'network', describeError(err));
    return { ok: false, error, candles: concatPacked(pages), requests, weight, currentOpen };
  }
}

function openSeconds(row: unknown): number | null {
  const t = Array.isArray(row) ? row[0] : undefined;
  return Number.isSafeInteger(t) ? (t as number) / 1000 : null;
}

/** The candles of an ascending packed run with time > `after` (all when null). */
function newerThan(packed: Float64Array, after: number | null): Float64Array {
  if (after === null) return packed;
  let i = 0;
  while (i < packed.length && packed[i]! <= after) i += CANDLE_STRIDE;
  return packed.subarray(i);
}
