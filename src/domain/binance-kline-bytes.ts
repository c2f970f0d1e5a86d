import { FNV_OFFSET, FNV_PRIME, STREAM_HASH_MASK, type KlineFrame } from './kline-frame.js';

/**
 * The ingest path's parser: reads a combined-stream kline frame straight from the socket's bytes
 * into a reused KlineFrame — no string, no object per frame. The same template as the string
 * scanner (binance-kline-scan.ts), literal by literal and token by token:
 *
 *   {"stream":"<name>","data":{"e":"kline","E":<int>,"s":"<sym>","k":{"t":<int>,"T":<int>,
 *   "s":"<sym>","i":"<iv>","f":<int>,"L":<int>,"o":"<dec>","c":"<dec>","h":"<dec>","l":"<dec>",
 *   "v":"<dec>","n":<int>,"x":<bool>,"q":"<str>","V":"<str>","Q":"<str>","B":"<str>"}}}
 *
 * Stricter than the string scanner in one way: string contents must be printable ASCII. So a
 * frame it accepts is valid UTF-8 too, which is what lets the WebSocket client skip validating
 * text (ws/ws-client.ts); a frame with any other byte (a symbol in another script, an escape)
 * returns false and the caller takes the string path, which validates and decodes it. Everything
 * it accepts, parseKlineFrameJson accepts with the same values (test/domain/binance-kline-bytes).
 *
 * It hashes the stream name while reading it (FNV-1a), so the caller finds the stream's route
 * without making a string of it.
 */

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_FAST_DIGITS = 15;
const MAX_TIME_MS = 253_402_300_799_000;
const LATIN1 = new TextDecoder('latin1');

/**
 * A template literal as little-endian 32-bit words, so `lit` compares four bytes per load: the
 * whole words from its start, then (when the length is not a multiple of four) the word ending at
 * its last byte, which overlaps the one before. Every literal is at least four bytes long.
 */
interface Literal {
  readonly length: number;
  readonly words: Int32Array;
  /** The word at `length - 4`; only read when `length % 4 !== 0`. */
  readonly lastWord: number;
}
const literal = (s: string): Literal => {
  const b = Uint8Array.from(s, (c) => c.charCodeAt(0));
  if (b.length < 4) throw new Error(`template literal shorter than a word: ${s}`);
  const view = new DataView(b.buffer);
  const words = Int32Array.from({ length: b.length >> 2 }, (_, w) => view.getInt32(w * 4, true));
  return { length: b.length, words, lastWord: view.getInt32(b.length - 4, true) };
};
const L_STREAM = literal('{"stream":"');
const L_DATA = literal('","data":{"e":"kline","E":');
const L_SYMBOL = literal(',"s":"');
const L_T = literal('","k":{"t":');
const L_CLOSE_T = literal(',"T":');
const L_INTERVAL = literal('","i":"');
const L_F = literal('","f":');
const L_LAST = literal(',"L":');
const L_O = literal(',"o":"');
const L_C = literal('","c":"');
const L_H = literal('","h":"');
const L_L = literal('","l":"');
const L_V = literal('","v":"');
const L_N = literal('","n":');
const L_X = literal(',"x":');
const L_TRUE = literal('true');
const L_FALSE = literal('false');
const L_Q = literal(',"q":"');
const L_QV = literal('","V":"');
const L_QQ = literal('","Q":"');
const L_B = literal('","B":"');
const L_END = literal('"}}}');

/** Slots of KlineByteScanner.values. */
const HASH = 0;
const EVENT_TIME = 1;
const OPEN_TIME = 2;
const OPEN = 3;
const HIGH = 4;
const LOW = 5;
const CLOSE = 6;
const VOLUME = 7;
/** Integers the template requires but nobody reads (T, f, L, n). */
const IGNORED = 8;

export class KlineByteScanner {
  /**
   * The numbers read so far. The readers store into it rather than return: a double returned
   * from a call V8 does not inline is boxed (a heap number per field, ~100 bytes per frame).
   */
  private readonly values = new Float64Array(9);
  private b: Uint8Array = new Uint8Array(0);
  /**
   * The memory under `b` as a DataView, so literals are compared by word; `b[i]` is at
   * `base + i`. It spans the whole ArrayBuffer and is made again only when that changes: a socket
   * read is one, and so are the small Buffers Node cuts from its shared pool (no view per frame).
   */
  private view = new DataView(this.b.buffer);
  private base = 0;
  private p = 0;
  private end = 0;

  /** Fills `out` from `b[start, end)`; false when the frame is not in the template (take the string path). */
  scan(b: Uint8Array, start: number, end: number, out: KlineFrame): boolean {
    // The word reads go through a view of the whole ArrayBuffer: bounds are checked against `end`.
    if (end > b.length || start < 0) return false;
    if (b !== this.b) {
      this.b = b;
      if (b.buffer !== this.view.buffer) this.view = new DataView(b.buffer);
      this.base = b.byteOffset;
    }
    this.p = start;
    this.end = end;
    const v = this.values;
    if (!this.lit(L_STREAM)) return false;
    out.streamStart = this.p;
    if (!this.hashedStr()) return false;
    out.streamEnd = this.p;
    out.streamHash = v[HASH]!;
    if (!this.lit(L_DATA) || !this.int(EVENT_TIME)) return false;
    if (!this.lit(L_SYMBOL)) return false;
    const symbolAt = this.p;
    if (!this.str() || this.p === symbolAt) return false;
    if (!this.lit(L_T) || !this.int(OPEN_TIME)) return false;
    if (!this.lit(L_CLOSE_T) || !this.int(IGNORED)) return false;
    if (!this.lit(L_SYMBOL) || !this.str()) return false;
    if (!this.lit(L_INTERVAL)) return false;
    const intervalAt = this.p;
    if (!this.str() || this.p === intervalAt) return false;
    if (!this.lit(L_F) || !this.int(IGNORED)) return false;
    if (!this.lit(L_LAST) || !this.int(IGNORED)) return false;
    if (!this.lit(L_O) || !this.dec(OPEN)) return false;
    if (!this.lit(L_C) || !this.dec(CLOSE)) return false;
    if (!this.lit(L_H) || !this.dec(HIGH)) return false;
    if (!this.lit(L_L) || !this.dec(LOW)) return false;
    if (!this.lit(L_V) || !this.dec(VOLUME)) return false;
    if (!this.lit(L_N) || !this.int(IGNORED)) return false;
    if (!this.lit(L_X)) return false;
    let closed: boolean;
    if (this.lit(L_TRUE)) closed = true;
    else if (this.lit(L_FALSE)) closed = false;
    else return false;
    if (!this.lit(L_Q) || !this.str()) return false;
    if (!this.lit(L_QV) || !this.str()) return false;
    if (!this.lit(L_QQ) || !this.str()) return false;
    if (!this.lit(L_B) || !this.str()) return false;
    if (!this.lit(L_END) || this.p !== end) return false;
    const E = v[EVENT_TIME]!;
    const t = v[OPEN_TIME]!;
    const open = v[OPEN]!;
    const high = v[HIGH]!;
    const low = v[LOW]!;
    const close = v[CLOSE]!;
    const volume = v[VOLUME]!;
    // The acceptance rules of the JSON path (binance-kline.ts klineFrom).
    if (!(E >= 0 && E <= MAX_TIME_MS && t >= 0 && t <= MAX_TIME_MS && t % 1000 === 0)) return false;
    if (!(Number.isFinite(open) && Number.isFinite(high) && Number.isFinite(low) && Number.isFinite(close) && Number.isFinite(volume))) return false;
    out.stream = undefined;
    out.eventTimeMs = E;
    out.candleTime = t / 1000;
    out.closed = closed;
    out.open = open;
    out.high = high;
    out.low = low;
    out.close = close;
    out.volume = volume;
    return true;
  }

  private lit(expected: Literal): boolean {
    const p = this.p;
    const n = expected.length;
    if (p + n > this.end) return false;
    // In bounds of `b` (checked above), so in bounds of the view.
    const view = this.view;
    const at = this.base + p;
    const words = expected.words;
    for (let w = 0; w < words.length; w++) if (view.getInt32(at + w * 4, true) !== words[w]) return false;
    if ((n & 3) !== 0 && view.getInt32(at + n - 4, true) !== expected.lastWord) return false;
    this.p = p + n;
    return true;
  }

  /** String contents up to the closing quote: printable ASCII only (no escapes, no control bytes). */
  private str(): boolean {
    const b = this.b;
    const end = this.end;
    let p = this.p;
    for (; p < end; p++) {
      const ch = b[p]!;
      if (ch === 0x22) {
        this.p = p;
        return true;
      }
      if (ch < 0x20 || ch > 0x7e || ch === 0x5c) return false;
    }
    return false;
  }

  /** `str` that also hashes the contents (FNV-1a, kline-frame.ts: its low 30 bits) into `values[HASH]`. */
  private hashedStr(): boolean {
    const b = this.b;
    const end = this.end;
    let h = FNV_OFFSET;
    for (let p = this.p; p < end; p++) {
      const ch = b[p]!;
      if (ch === 0x22) {
        this.p = p;
        this.values[HASH] = h & STREAM_HASH_MASK;
        return true;
      }
      if (ch < 0x20 || ch > 0x7e || ch === 0x5c) return false;
      h = Math.imul(h ^ ch, FNV_PRIME);
    }
    return false;
  }

  /** A JSON integer (no leading zeros, may be negative: `"f":-1`) into `values[slot]`; false when malformed. */
  private int(slot: number): boolean {
    const b = this.b;
    const end = this.end;
    let p = this.p;
    const negative = p < end && b[p] === 0x2d;
    if (negative) p++;
    const start = p;
    let value = 0;
    for (; p < end; p++) {
      const ch = b[p]!;
      if (ch < 0x30 || ch > 0x39) break;
      value = value * 10 + (ch - 0x30);
    }
    this.p = p;
    if (p === start || (p - start > 1 && b[start] === 0x30)) return false;
    // Two stores, not one of a conditional: a phi of `value` with the ±Infinity constants made V8
    // box `value` (a heap number per integer, measured).
    if (p - start > MAX_FAST_DIGITS) this.values[slot] = negative ? -Infinity : Infinity;
    else this.values[slot] = negative ? -value : value;
    return true;
  }

  /** A decimal string's contents `-?digits(.digits)?`, read in place into `values[slot]`; false when malformed. */
  private dec(slot: number): boolean {
    const b = this.b;
    const end = this.end;
    let p = this.p;
    const start = p;
    const negative = p < end && b[p] === 0x2d;
    if (negative) p++;
    let mantissa = 0;
    let count = 0;
    let point = -1;
    for (; p < end; p++) {
      const ch = b[p]!;
      if (ch >= 0x30 && ch <= 0x39) {
        mantissa = mantissa * 10 + (ch - 0x30);
        count++;
      } else if (ch === 0x2e && point < 0 && count > 0) {
        point = count;
      } else {
        break;
      }
    }
    this.p = p;
    if (count === 0 || point === count) return false;
    if (count > MAX_FAST_DIGITS) {
      // Past 15 digits only Number() rounds right (a meme coin's volume): from a latin1 view.
      this.values[slot] = Number(LATIN1.decode(b.subarray(start, p)));
      return true;
    }
    const value = point < 0 ? mantissa : mantissa / POW10[count - point]!;
    this.values[slot] = negative ? -value : value;
    return true;
  }
}
