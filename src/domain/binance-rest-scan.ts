import { CANDLE_STRIDE } from './candle.js';
import type { ParsedRows } from './binance-rest-rows.js';
import { JsonTemplate } from './json-template.js';

/**
 * Fast path of the REST klines reader (the JSON path: JSON.parse + parseKlineRows). Matches the
 * exact text Binance and tools/fake-binance send (`JSON.stringify` of the rows: no whitespace),
 * literal by literal and token by token:
 *
 *   [[<int>,"<dec>","<dec>","<dec>","<dec>","<dec>",<int>,"<str>",<int>,"<str>","<str>","<str>"],...]
 *
 * Every character is checked (literals by `startsWith`, integers by the JSON number grammar,
 * strings for control characters and escapes), so a text it accepts is valid JSON of that shape
 * and the JSON path gives the identical result. Anything else — whitespace, an error object, a
 * number where a string is expected, more or fewer fields, an escape, a negative or 16-digit time —
 * returns undefined and the caller takes the JSON path, which is correct for every input. What the
 * JSON path counts as malformed inside a well-shaped row (an open time not on a second, a price
 * string that is not `-?\d+(\.\d+)?`, a value that overflows) is counted here the same way.
 *
 * Measured (bench/micro/rest-klines-parse.ts) against JSON.parse + parseKlineRows on 1,000-row
 * pages: no per-row allocation, decimals read in place, the output sized from the `],[` count.
 */

/** 10^k is exact in a double for k ≤ 22, so m × 10^k and m / 10^k are correctly rounded: exactly Number()'s result. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_POW10 = POW10.length - 1;
/** Mantissas up to 15 significant digits are exact integers in a double (< 2^53). */
const MAX_FAST_DIGITS = 15;

export interface KlinePage extends ParsedRows {
  /** Rows in the answer, well-formed or not (with `dropLast`, the dropped row too). */
  readonly rows: number;
  /** Open time (ms) of the answer's first / last row when that row is an array led by a safe integer. */
  readonly firstRowOpenMs: number | undefined;
  readonly lastRowOpenMs: number | undefined;
  /**
   * With `decimalSpans`: where each candle's open, high, low, close and volume are in the text
   * (start and end of each string's contents: 10 entries per candle, in `candles` order). Only the
   * scanner has them; a page read through JSON.parse has none.
   */
  readonly decimalSpans?: Uint32Array;
}

export interface KlinePageOptions {
  /**
   * Leave the answer's last row out of candles, count, open, malformed and lastOpenMs (its shape
   * still counts): the bar still forming in a latest-klines answer (latest-klines.ts).
   */
  readonly dropLast?: boolean;
  /** Also return `decimalSpans` (the candles' JSON can then be written from the exchange's own digits). */
  readonly decimalSpans?: boolean;
}

/** Entries of `decimalSpans` per candle: start and end of its five decimals. */
export const SPANS_PER_CANDLE = 10;

const enum RowKind {
  Malformed,
  Open,
  Closed,
}

class KlineRowsTemplate extends JsonTemplate {
  match(s: string, nowMs: number, dropLast: boolean, wantSpans: boolean): KlinePage | undefined {
    if (s === '[]') return emptyPage();
    if (!s.startsWith('[[')) return undefined;
    const capacity = separators(s) + 1;
    const out = new Float64Array(capacity * CANDLE_STRIDE);
    const spans = wantSpans ? new Uint32Array(capacity * SPANS_PER_CANDLE) : undefined;
    let n = 0;
    let rows = 0;
    let open = 0;
    let malformed = 0;
    let lastOpenMs: number | undefined;
    let previousLastOpenMs: number | undefined;
    let firstRowOpenMs = 0;
    let lastRowOpenMs: number;
    let kind: RowKind;
    this.p = 1;
    for (;;) {
      if (rows === capacity || !this.lit(s, '[')) return undefined;
      const t = this.time(s);
      if (t < 0 || !this.lit(s, ',"')) return undefined;
      const b = n * CANDLE_STRIDE;
      // Written in place; a row that is not a candle is overwritten by the next (n does not advance).
      const at = n * SPANS_PER_CANDLE;
      for (let k = 1; k <= 5; k++) {
        if (k > 1 && !this.lit(s, '","')) return undefined;
        if (spans !== undefined) spans[at + 2 * k - 2] = this.p;
        out[b + k] = this.dec(s);
        if (spans !== undefined) spans[at + 2 * k - 1] = this.p;
      }
      if (!this.lit(s, '",')) return undefined;
      const closeTime = this.time(s);
      if (closeTime < 0) return undefined;
      // Quote volume, trades, taker base and quote volumes, ignore: shape only.
      if (!this.lit(s, ',"') || !this.str(s) || !this.lit(s, '",') || !this.int(s)) return undefined;
      if (!this.lit(s, ',"') || !this.str(s) || !this.lit(s, '","') || !this.str(s) || !this.lit(s, '","') || !this.str(s)) return undefined;
      if (!this.lit(s, '"]')) return undefined;
      if (rows === 0) firstRowOpenMs = t;
      lastRowOpenMs = t;
      rows++;
      // The same decisions, in the same order, as parseKlineRows.
      previousLastOpenMs = lastOpenMs;
      if (t % 1000 !== 0) {
        kind = RowKind.Malformed;
      } else {
        lastOpenMs = t;
        // The bar is closed once its close time (last ms of the bar) is in the past.
        if (closeTime >= nowMs) kind = RowKind.Open;
        else if (finite(out, b)) kind = RowKind.Closed;
        else kind = RowKind.Malformed;
      }
      if (kind === RowKind.Closed) {
        out[b] = t / 1000;
        n++;
      } else if (kind === RowKind.Open) {
        open++;
      } else {
        malformed++;
      }
      if (this.lit(s, ',')) continue;
      if (!this.lit(s, ']') || this.p !== s.length) return undefined;
      break;
    }
    if (dropLast) {
      if (kind === RowKind.Closed) n--;
      else if (kind === RowKind.Open) open--;
      else malformed--;
      lastOpenMs = previousLastOpenMs;
    }
    const candles = n * CANDLE_STRIDE === out.length ? out : out.slice(0, n * CANDLE_STRIDE);
    const page = { candles, count: n, lastOpenMs, open, malformed, rows, firstRowOpenMs, lastRowOpenMs };
    return spans === undefined ? page : { ...page, decimalSpans: spans.subarray(0, n * SPANS_PER_CANDLE) };
  }

  /** A JSON integer of any size (a shape-only field); false when malformed. */
  private int(s: string): boolean {
    let p = this.p;
    if (s.charCodeAt(p) === 0x2d) p++;
    const start = p;
    for (let ch = s.charCodeAt(p); ch >= 0x30 && ch <= 0x39; ch = s.charCodeAt(++p));
    this.p = p;
    return p > start && (p - start === 1 || s.charCodeAt(start) !== 0x30);
  }

  /** A non-negative JSON integer of ≤ 15 digits (a safe integer); -1 for anything else (the JSON path decides). */
  private time(s: string): number {
    let p = this.p;
    const start = p;
    let value = 0;
    for (let ch = s.charCodeAt(p); ch >= 0x30 && ch <= 0x39; ch = s.charCodeAt(++p)) value = value * 10 + (ch - 0x30);
    this.p = p;
    if (p === start || p - start > MAX_FAST_DIGITS || (p - start > 1 && s.charCodeAt(start) === 0x30)) return -1;
    return value;
  }

  /**
   * A decimal string's contents read in place: its value when they match `-?\d+(\.\d+)?` (the JSON
   * path's DECIMAL), else NaN with the string skipped (a malformed row, as there). Leading zeros and
   * the fraction's trailing zeros (Binance pads to 8 places) do not count towards the 15 digits.
   */
  private dec(s: string): number {
    let p = this.p;
    const start = p;
    const negative = s.charCodeAt(p) === 0x2d;
    if (negative) p++;
    let mantissa = 0;
    let significant = 0;
    let pendingZeros = 0;
    let digits = 0;
    let point = -1;
    for (; ; p++) {
      const ch = s.charCodeAt(p);
      if (ch === 0x30) {
        digits++;
        if (significant > 0) pendingZeros++;
      } else if (ch > 0x30 && ch <= 0x39) {
        digits++;
        significant += pendingZeros + 1;
        // Past 15 digits the slow path below decides; the mantissa is no longer needed.
        if (significant <= MAX_FAST_DIGITS) mantissa = mantissa * POW10[pendingZeros + 1]! + (ch - 0x30);
        pendingZeros = 0;
      } else if (ch === 0x2e && point < 0 && digits > 0) {
        point = digits;
      } else {
        break;
      }
    }
    this.p = p;
    if (s.charCodeAt(p) !== 0x22) {
      // Not a decimal after all (or not a string we can read: then the next literal fails).
      this.str(s);
      return NaN;
    }
    if (digits === 0 || point === digits) return NaN;
    // value = mantissa × 10^exponent; the fraction's digits count against the trailing zeros.
    const exponent = pendingZeros - (point < 0 ? 0 : digits - point);
    if (significant > MAX_FAST_DIGITS || exponent > MAX_POW10 || exponent < -MAX_POW10) return Number(s.slice(start, p));
    const value = exponent >= 0 ? mantissa * POW10[exponent]! : mantissa / POW10[-exponent]!;
    return negative ? -value : value;
  }
}

function emptyPage(): KlinePage {
  return { candles: new Float64Array(0), count: 0, lastOpenMs: undefined, open: 0, malformed: 0, rows: 0, firstRowOpenMs: undefined, lastRowOpenMs: undefined };
}

/** The five decimals of the candle at `b` are finite (one check each: a sum of finite values can overflow). */
function finite(out: Float64Array, b: number): boolean {
  return (
    Number.isFinite(out[b + 1]) && Number.isFinite(out[b + 2]) && Number.isFinite(out[b + 3]) && Number.isFinite(out[b + 4]) && Number.isFinite(out[b + 5])
  );
}

/** Row separators in the text: one fewer than its rows when it is a page we can scan (an upper bound otherwise). */
function separators(s: string): number {
  let count = 0;
  for (let at = s.indexOf('],[', 2); at >= 0; at = s.indexOf('],[', at + 3)) count++;
  return count;
}

const template = new KlineRowsTemplate();

/**
 * The rows of a Binance REST klines answer's `text`, as `parseKlineRows(JSON.parse(text), nowMs)`
 * gives them, when the text is in Binance's exact layout; else undefined (take the JSON path).
 * Never throws.
 */
export function scanKlineRows(text: string, nowMs: number, options?: KlinePageOptions): KlinePage | undefined {
  return template.match(text, nowMs, options?.dropLast === true, options?.decimalSpans === true);
}
