import { parseKlineRows } from './binance-rest-rows.js';
import { scanKlineRows, type KlinePage, type KlinePageOptions } from './binance-rest-scan.js';

export type { KlinePage, KlinePageOptions } from './binance-rest-scan.js';

/**
 * The text of a 200 answer to a Binance REST klines request → its rows: the scanner
 * (binance-rest-scan.ts) when the text is in Binance's exact layout, else JSON.parse +
 * parseKlineRows, which decides every other input. Both give the same result for any text the
 * scanner accepts (test/domain/binance-rest-scan.test.ts), so callers see one behaviour.
 * `not_json` / `not_array`: the answer is not a klines answer (the caller names the error).
 */
export function readKlinePage(text: string, nowMs: number, options?: KlinePageOptions): KlinePage | 'not_json' | 'not_array' {
  const scanned = scanKlineRows(text, nowMs, options);
  if (scanned !== undefined) return scanned;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'not_json';
  }
  if (!Array.isArray(body)) return 'not_array';
  const rows = body as unknown[];
  const taken = options?.dropLast === true ? rows.slice(0, -1) : rows;
  return {
    ...parseKlineRows(taken, nowMs)!,
    rows: rows.length,
    firstRowOpenMs: rowOpenMs(rows[0]),
    lastRowOpenMs: rowOpenMs(rows[rows.length - 1]),
  };
}

/** A row's open time (ms) when the row is an array led by a safe integer, whatever else it holds. */
function rowOpenMs(row: unknown): number | undefined {
  const t = Array.isArray(row) ? (row as unknown[])[0] : undefined;
  return Number.isSafeInteger(t) ? (t as number) : undefined;
}
