import { CANDLE_STRIDE } from './candle.js';

/**
 * Binance REST kline rows → packed candles (sources.md "Binance REST klines"). A row is
 * `[openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBase, takerQuote, ignore]`,
 * times in ms, decimals as strings. Pure and total: a malformed row is counted and skipped, never
 * thrown; the caller decides whether a short page is a hole on the exchange (data, not an error).
 */
export interface ParsedRows {
  /** Closed candles, `[t seconds, o, h, l, c, v] × n`, in the order received. */
  readonly candles: Float64Array;
  readonly count: number;
  /** Open time (ms) of the last row received, closed or not; undefined for an empty page. */
  readonly lastOpenMs: number | undefined;
  /** Rows of bars still open at `nowMs` (Binance includes the current bar): not ours to store. */
  readonly open: number;
  /** Rows that were not a well-formed kline row. */
  readonly malformed: number;
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

export function parseKlineRows(body: unknown, nowMs: number): ParsedRows | undefined {
  if (!Array.isArray(body)) return undefined;
  const out = new Float64Array(body.length * CANDLE_STRIDE);
  let n = 0;
  let open = 0;
  let malformed = 0;
  let lastOpenMs: number | undefined;
  for (const row of body as unknown[]) {
    if (!Array.isArray(row) || row.length < 7) {
      malformed++;
      continue;
    }
    const t = row[0];
    const closeTime = row[6];
    if (!Number.isSafeInteger(t) || (t as number) < 0 || (t as number) % 1000 !== 0 || !Number.isSafeInteger(closeTime)) {
      malformed++;
      continue;
    }
    lastOpenMs = t as number;
    // The bar is closed once its close time (last ms of the bar) is in the past.
    if ((closeTime as number) >= nowMs) {
      open++;
      continue;
    }
    const b = n * CANDLE_STRIDE;
    let ok = true;
    for (let i = 1; i <= 5; i++) {
      const v = row[i];
      const x = typeof v === 'string' && DECIMAL.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
      if (!Number.isFinite(x)) ok = false;
      out[b + i] = x;
    }
    if (!ok) {
      malformed++;
      continue;
    }
    out[b] = (t as number) / 1000;
    n++;
  }
  return { candles: n * CANDLE_STRIDE === out.length ? out : out.slice(0, n * CANDLE_STRIDE), count: n, lastOpenMs, open, malformed };
}
