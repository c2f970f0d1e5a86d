/**
 * What reading one candle file yields. Readers never throw out of the public API: a file that
 * gives no candles comes back with zero candles and a `reason` whose `code` is stable (callers
 * and logs branch on it) and whose `message` says what was wrong with this file.
 */

/** Stable reason codes and what each means. */
export const DECODE_REASONS = {
  not_found: 'the file does not exist',
  io_error: 'the file could not be read (permissions, I/O error, too large)',
  empty_file: 'the file is 0 bytes (freqtrade leaves these behind on failed downloads)',
  truncated: 'the file ends early (interrupted write or copy)',
  corrupt: 'the bytes are not a valid file of the format its name says',
  unsupported_format: 'a format or format variant this reader does not handle',
  wrong_schema: 'a valid file without usable date/open/high/low/close/volume columns (e.g. trades)',
  no_rows: 'a valid candle file with no rows (e.g. `[]`)',
  no_valid_rows: 'every row had a missing, NaN or infinite value (e.g. mark candles without volume)',
  bad_request: 'the read options were invalid (a caller bug)',
  overloaded: 'the decode pool queue was full; retry later',
  worker_failed: 'the decode worker thread failed or the pool was closed',
} as const;

export type DecodeReasonCode = keyof typeof DECODE_REASONS;

export interface DecodeReason {
  readonly code: DecodeReasonCode;
  readonly message: string;
}

export interface DecodeResult {
  /** Packed `[t_seconds, o, h, l, c, v] × n`, strictly ascending by time; owns its buffer. */
  readonly candles: Float64Array;
  /** Rows decoded from the file (a tail read decodes only part of a feather or parquet file). */
  readonly rowsRead: number;
  /** Candles returned (after dropping invalid rows and duplicates, and cutting to the tail). */
  readonly rowsKept: number;
  /** Holes longer than one timeframe between consecutive returned candles. */
  readonly gaps: number;
  /** Bars missing in those holes. */
  readonly missingBars: number;
  /** Set exactly when `candles` is empty. */
  readonly reason?: DecodeReason;
}

export interface ReadOptions {
  /** Bar length in seconds (for gap detection). */
  readonly tfSeconds: number;
  /** Return only the latest `tail` candles; 0 or absent = the whole file. */
  readonly tail?: number;
}

/** Thrown inside readers, turned into a `DecodeResult` at the public boundary. */
export class DecodeFailure extends Error {
  readonly code: DecodeReasonCode;
  constructor(code: DecodeReasonCode, message: string) {
    super(message);
    this.name = 'DecodeFailure';
    this.code = code;
  }
}

export function failedResult(code: DecodeReasonCode, message: string, rowsRead = 0): DecodeResult {
  return { candles: new Float64Array(0), rowsRead, rowsKept: 0, gaps: 0, missingBars: 0, reason: { code, message } };
}
