import { transferableSymbol, valueSymbol } from 'piscina';
import type { DecodeResult } from './decode-result.js';
import type { CandleFormat } from './formats.js';
import { readCandleFile } from './read-candle-file.js';

/** One file to decode; plain data, so it crosses to a worker thread by structured clone. */
export interface DecodeTask {
  readonly path: string;
  /** Bar length in seconds (gap detection). */
  readonly tfSeconds: number;
  /** Latest candles to return; 0 or absent = whole file. */
  readonly tail?: number;
  /** Overrides the format implied by the file name. */
  readonly format?: CandleFormat;
}

/**
 * Decodes candle files. Two implementations share this interface: `inThreadDecoder` (tests,
 * tools, small reads) and the piscina pool (decode-pool.ts), so callers and contract tests do not
 * care which thread does the work. `decode` never rejects: failures are results with a reason.
 */
export interface CandleDecoder {
  decode(task: DecodeTask): Promise<DecodeResult>;
}

export function decodeTask(task: DecodeTask): Promise<DecodeResult> {
  return readCandleFile(task.path, task);
}

export const inThreadDecoder: CandleDecoder = { decode: decodeTask };

/**
 * Wraps a result for piscina so the candles' buffer is transferred to the caller's thread instead
 * of copied (a 1M-candle result is 48 MB). Pass the wrapper to `Piscina.move`.
 */
export function transferableResult(result: DecodeResult): { [transferableSymbol]: ArrayBuffer; [valueSymbol]: DecodeResult } {
  return { [transferableSymbol]: result.candles.buffer as ArrayBuffer, [valueSymbol]: result };
}
