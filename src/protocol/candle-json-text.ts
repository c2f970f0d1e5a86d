import { SPANS_PER_CANDLE } from '../domain/binance-rest-scan.js';
import { CANDLE_STRIDE } from '../domain/candle.js';

/**
 * The JSON of packed candles (`candleObjectsJson`, candle-json.ts: `{...},{...}`, no brackets)
 * written from the exchange's own digits instead of by formatting each double (issue 11, first
 * open). A REST klines answer carries every price and volume as a decimal string
 * (`"57500.12000000"`); JavaScript prints the double it reads as the shortest digits that read
 * back to it. For a decimal of at most 15 significant digits those are the decimal's own digits
 * without the fraction's trailing zeros: two different decimals of ≤ 15 significant digits never
 * read as the same double (15 < log10(2^53)), so no shorter string names it. So the text is copied,
 * trimmed, wherever that holds and JavaScript would not switch to exponent form (values below
 * 1e-6 or from 1e21 on); any other decimal (more digits, a sign, leading zeros) is formatted from
 * its double as before. The result is byte-identical to candleObjectsJson of the same candles
 * (test/protocol/candle-json-text.test.ts), made on the ingest worker that read the answer, so
 * the main thread does not format 12,000 numbers while a first read waits.
 */
export interface CandlesJsonText {
  /** `candleObjectsJson` of the candles, as ASCII bytes (an HTTP body joins them as they are). */
  readonly bytes: Uint8Array;
  /** Where each candle's object starts in `bytes`, plus `bytes.length + 1` at the end (n + 1 entries). */
  readonly starts: Uint32Array;
}

const lit = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const FIRST = lit('{"candle_time":');
const NEXT = lit(',{"candle_time":');
const FIELDS = [lit(',"open":'), lit(',"high":'), lit(',"low":'), lit(',"close":'), lit(',"volume":')];
const END = 0x7d; // }
/** Longest text a fallback number can print as (`-1.2345678901234567e-300`). */
const MAX_NUMBER_TEXT = 25;
const FIXED_PER_CANDLE = NEXT.length + FIELDS.reduce((n, f) => n + f.length, 0) + 1;
/** Digits JavaScript prints a double with, at most, before it uses exponent form (1e21). */
const MAX_INTEGER_DIGITS = 21;
/** A fraction with this many zeros after the point is below 1e-6: exponent form. */
const MIN_EXPONENT_ZEROS = 6;
const MAX_SIGNIFICANT = 15;

/**
 * `candles` (packed) with, per candle, the start and end of its five decimals' contents in `text`
 * (`decimalSpans` of binance-rest-scan.ts: SPANS_PER_CANDLE entries per candle).
 */
export function candlesJsonFromDecimals(text: string, candles: Float64Array, spans: Uint32Array): CandlesJsonText {
  const n = candles.length / CANDLE_STRIDE;
  let capacity = 0;
  for (let k = 0; k < n * 5; k++) capacity += Math.max(spans[2 * k + 1]! - spans[2 * k]!, MAX_NUMBER_TEXT);
  const out = new Uint8Array(capacity + n * (FIXED_PER_CANDLE + MAX_NUMBER_TEXT));
  const starts = new Uint32Array(n + 1);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const opening = i === 0 ? FIRST : NEXT;
    o = writeLiteral(out, o, opening);
    starts[i] = o - FIRST.length;
    o = writeNumber(out, o, candles[i * CANDLE_STRIDE]!);
    for (let k = 0; k < 5; k++) {
      o = writeLiteral(out, o, FIELDS[k]!);
      const at = i * SPANS_PER_CANDLE + 2 * k;
      const copied = copyDecimal(text, spans[at]!, spans[at + 1]!, out, o);
      o = copied >= 0 ? copied : writeNumber(out, o, candles[i * CANDLE_STRIDE + 1 + k]!);
    }
    out[o++] = END;
  }
  starts[n] = o + 1;
  // A copy of the used part: the buffer moves to the main thread, and memory allocated outside the
  // JS heap there brings its next full collection nearer (the estimate above is ~2× the text).
  return { bytes: out.slice(0, o), starts };
}

/** Candles `[from, to)` of a text (to: all). */
export function sliceCandlesJson(text: CandlesJsonText, from: number, to = text.starts.length - 1): CandlesJsonText {
  if (from === 0 && to === text.starts.length - 1) return text;
  const base = text.starts[from]!;
  const starts = text.starts.slice(from, to + 1);
  for (let i = 0; i < starts.length; i++) starts[i]! -= base;
  return { bytes: text.bytes.subarray(base, to > from ? text.starts[to]! - 1 : base), starts };
}

/**
 * Writes the decimal `text[start, end)` (`-?\d+(\.\d+)?`) as JavaScript prints the double it
 * reads as; returns the end of what was written, or -1 when that is not its own digits (format
 * the double instead).
 */
function copyDecimal(text: string, start: number, end: number, out: Uint8Array, o: number): number {
  let p = start;
  const first = text.charCodeAt(p);
  // A sign (-0 prints as 0), a leading zero that is not the whole integer part: format instead.
  if (first < 0x30 || first > 0x39) return -1;
  while (p < end && text.charCodeAt(p) !== 0x2e) p++;
  const integerEnd = p;
  const integerDigits = integerEnd - start;
  if (integerDigits > MAX_INTEGER_DIGITS || (integerDigits > 1 && first === 0x30)) return -1;
  let fractionEnd = end;
  while (fractionEnd > integerEnd + 1 && text.charCodeAt(fractionEnd - 1) === 0x30) fractionEnd--;
  const fractionDigits = fractionEnd > integerEnd + 1 ? fractionEnd - integerEnd - 1 : 0;
  let significant: number;
  if (first === 0x30) {
    // 0.000123: the zeros after the point are not significant; 1e-6 and below print in exponent form.
    let zeros = 0;
    while (zeros < fractionDigits && text.charCodeAt(integerEnd + 1 + zeros) === 0x30) zeros++;
    if (fractionDigits > 0 && zeros >= MIN_EXPONENT_ZEROS) return -1;
    significant = fractionDigits - zeros;
  } else {
    significant = integerDigits + fractionDigits;
  }
  if (significant > MAX_SIGNIFICANT) return -1;
  for (let q = start; q < integerEnd; q++) out[o++] = text.charCodeAt(q);
  if (fractionDigits > 0) for (let q = integerEnd; q < fractionEnd; q++) out[o++] = text.charCodeAt(q);
  return o;
}

/** A short literal written at `o` (a loop: TypedArray.set costs more than it copies at this size). */
function writeLiteral(out: Uint8Array, o: number, literal: Uint8Array): number {
  for (let q = 0; q < literal.length; q++) out[o + q] = literal[q]!;
  return o + literal.length;
}

/** `${value}` written at `o` (ASCII: a finite number prints as digits, `.`, `-`, `e`, `+`). */
function writeNumber(out: Uint8Array, o: number, value: number): number {
  const s = `${value}`;
  for (let q = 0; q < s.length; q++) out[o++] = s.charCodeAt(q);
  return o;
}
