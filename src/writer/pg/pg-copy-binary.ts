import { CANDLE_STRIDE, candleCount } from '../../domain/candle.js';

/**
 * Candles in PostgreSQL's binary COPY format (COPY … FROM STDIN (FORMAT binary), "Binary Format"
 * in the COPY documentation): a header, one tuple per candle, a trailer. Binary, not text: the
 * engine's ceiling measured 1.2–1.3M rows/s binary vs 0.18–0.33M text here, and formatting
 * numbers as text cost Node 20–39 ms per 10k rows against 2–5 ms for this encoding.
 *
 * Each tuple is the columns `(series, candle_time, open, high, low, close, volume)`: an int16
 * field count, then per field an int32 length and the value (int4, int8, 5 × float8, big-endian).
 */

/** A series' dictionary id and its candles (packed `[t,o,h,l,c,v] × n`, integer times). */
export interface SeriesRows {
  readonly id: number;
  readonly data: Float64Array;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 4 + 4; // signature, flags, header extension length
const TRAILER_BYTES = 2;
const FIELDS = 7;
/** int16 field count, int4 (4 + 4), int8 (4 + 8), five float8 (4 + 8 each). */
export const TUPLE_BYTES = 2 + (4 + 4) + (4 + 8) + 5 * (4 + 8);
const TWO_TO_32 = 2 ** 32;

export function rowsIn(parts: readonly SeriesRows[]): number {
  let rows = 0;
  for (const p of parts) rows += candleCount(p.data);
  return rows;
}

export function encodeCopyBinary(parts: readonly SeriesRows[]): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + rowsIn(parts) * TUPLE_BYTES + TRAILER_BYTES);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  SIGNATURE.copy(buf, 0);
  view.setInt32(SIGNATURE.length, 0); // flags: no OIDs
  view.setInt32(SIGNATURE.length + 4, 0); // no header extension
  let o = HEADER_BYTES;
  for (const { id, data } of parts) {
    for (let b = 0; b < data.length; b += CANDLE_STRIDE) {
      view.setInt16(o, FIELDS);
      view.setInt32(o + 2, 4);
      view.setInt32(o + 6, id);
      // int8 from a float64 holding an integer: high and low 32-bit halves (negative times too).
      const t = data[b]!;
      const high = Math.floor(t / TWO_TO_32);
      view.setInt32(o + 10, 8);
      view.setInt32(o + 14, high);
      view.setUint32(o + 18, t - high * TWO_TO_32);
      o += 22;
      for (let k = 1; k < CANDLE_STRIDE; k++) {
        view.setInt32(o, 8);
        view.setFloat64(o + 4, data[b + k]!);
        o += 12;
      }
    }
  }
  view.setInt16(o, -1);
  return buf;
}
