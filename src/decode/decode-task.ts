import { transferableSymbol, valueSymbol } from 'piscina';
import type { CandleDecoder, DecodeResult, DecodeTask } from './contract.js';
import { readCandleFile } from './read-candle-file.js';

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
