import { CANDLE_STRIDE, type Candle } from '../domain/candle.js';

/**
 * JSON text of candles, byte-identical to `JSON.stringify` of contract-ordered candle objects
 * (for finite numbers `${n}` and JSON.stringify agree), without building the objects first:
 * encoding 2,000 candles this way is several times faster than JSON.stringify of objects.
 */

export function candleJson(c: Candle): string {
  return `{"candle_time":${c.candle_time},"open":${c.open},"high":${c.high},"low":${c.low},"close":${c.close},"volume":${c.volume}}`;
}

/**
 * Text made earlier for a run of candles: `candleObjectsJson` of `candles` as ASCII bytes (made
 * while they were committed, or by the ingest worker from the exchange's digits). A read whose
 * candles include that run, value for value, reuses it instead of encoding them again.
 */
export interface CandleJsonFragment {
  readonly candles: Float64Array;
  readonly bytes: Uint8Array;
}

const latin1 = new TextDecoder('latin1');

/** `[{...},{...}]` for packed candles `[from, to)`, reusing any fragment that matches a run of them. */
export function candlesArrayJson(packed: Float64Array, from: number, to: number, fragments?: readonly CandleJsonFragment[]): string {
  if (to <= from) return '[]';
  if (fragments === undefined || fragments.length === 0) return `[${candleObjectsJson(packed, from, to)}]`;
  let out = '';
  for (const piece of candlesArrayPieces(packed, from, to, fragments)) out += typeof piece === 'string' ? piece : latin1.decode(piece);
  return out;
}

/**
 * candlesArrayJson in pieces: text encoded here, and the bytes of the fragments that matched, in
 * order. An HTTP body joins them as bytes, so a fragment's text is never turned into a string.
 */
export function candlesArrayPieces(packed: Float64Array, from: number, to: number, fragments: readonly CandleJsonFragment[]): Array<string | Uint8Array> {
  if (to <= from) return ['[]'];
  const pieces: Array<string | Uint8Array> = [];
  let text = '[';
  let i = from;
  let plainFrom = from;
  while (i < to) {
    const fragment = fragmentAt(packed, i, to, fragments);
    if (fragment === undefined) {
      i++;
      continue;
    }
    if (plainFrom < i) text += (plainFrom > from ? ',' : '') + candleObjectsJson(packed, plainFrom, i);
    pieces.push(i > from ? `${text},` : text, fragment.bytes);
    text = '';
    i += fragment.candles.length / CANDLE_STRIDE;
    plainFrom = i;
  }
  if (plainFrom < to) text += (plainFrom > from ? ',' : '') + candleObjectsJson(packed, plainFrom, to);
  pieces.push(`${text}]`);
  return pieces;
}

/**
 * `{...},{...}` (no brackets) for packed candles `[from, to)`. One string grown by `+=` (a rope
 * V8 flattens once): faster than an array of per-candle strings joined.
 */
export function candleObjectsJson(packed: Float64Array, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const b = i * CANDLE_STRIDE;
    out +=
      (i > from ? ',{"candle_time":' : '{"candle_time":') +
      packed[b] +
      ',"open":' +
      packed[b + 1] +
      ',"high":' +
      packed[b + 2] +
      ',"low":' +
      packed[b + 3] +
      ',"close":' +
      packed[b + 4] +
      ',"volume":' +
      packed[b + 5] +
      '}';
  }
  return out;
}

/** A fragment whose candles are exactly `packed`'s from candle `i` on (within `to`), if any. */
function fragmentAt(packed: Float64Array, i: number, to: number, fragments: readonly CandleJsonFragment[]): CandleJsonFragment | undefined {
  const at = i * CANDLE_STRIDE;
  for (const f of fragments) {
    const n = f.candles.length;
    if (n === 0 || f.candles[0] !== packed[at] || at + n > to * CANDLE_STRIDE) continue;
    let same = true;
    for (let k = 1; k < n && same; k++) same = f.candles[k] === packed[at + k];
    if (same) return f;
  }
  return undefined;
}
