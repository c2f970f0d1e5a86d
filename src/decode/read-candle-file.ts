import { describeError } from '../shared/errors.js';
import { DecodeFailure, failedResult, type DecodeResult, type ReadOptions } from './decode-result.js';
import { formatOfPath, type CandleFormat } from '../domain/freqtrade-formats.js';
import { readFeather } from './read-feather.js';
import { readJson } from './read-json.js';
import { readParquet } from './read-parquet.js';

export interface ReadCandleFileOptions extends ReadOptions {
  /** Overrides the format the file name implies. */
  readonly format?: CandleFormat;
}

/**
 * Reads a freqtrade candle file into packed candles. Never throws and never rejects: every
 * failure, from a missing file to garbage bytes to a reader bug, comes back as zero candles with
 * a reason (decode-result.ts lists the codes), because one bad file in a datadir must not stop a
 * bootstrap or an import of the others.
 */
export async function readCandleFile(path: string, options: ReadCandleFileOptions): Promise<DecodeResult> {
  const invalid = invalidOptions(options);
  if (invalid) return failedResult('bad_request', invalid);
  const format = options.format ?? formatOfPath(path);
  if (!format) return failedResult('unsupported_format', `no candle reader for ${path} (expected .feather, .parquet, .json.gz or .json)`);
  let result: DecodeResult;
  try {
    result = await readAs(format, path, options);
  } catch (err) {
    return resultOfError(err, path);
  }
  // Reasons found after decoding (no rows, no valid rows) name the file like the others do.
  return result.reason ? { ...result, reason: { ...result.reason, message: `${path}: ${result.reason.message}` } } : result;
}

function readAs(format: CandleFormat, path: string, options: ReadOptions): Promise<DecodeResult> {
  switch (format) {
    case 'feather':
      return readFeather(path, options);
    case 'parquet':
      return readParquet(path, options);
    case 'json.gz':
      return readJson(path, options, true);
    case 'json':
      return readJson(path, options, false);
  }
}

function invalidOptions(options: ReadOptions): string | undefined {
  if (!Number.isSafeInteger(options.tfSeconds) || options.tfSeconds <= 0) return `tfSeconds must be a positive integer, got ${options.tfSeconds}`;
  const tail = options.tail ?? 0;
  if (!Number.isSafeInteger(tail) || tail < 0) return `tail must be a non-negative integer, got ${options.tail}`;
  return undefined;
}

/** A zero-candle result with the reason `err` (thrown while reading `path`) stands for. */
export function resultOfError(err: unknown, path: string): DecodeResult {
  if (err instanceof DecodeFailure) return failedResult(err.code, `${path}: ${err.message}`);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return failedResult('not_found', `${path}: no such file`);
  if (code === 'ERR_STRING_TOO_LONG' || code === 'ERR_FS_FILE_TOO_LARGE') return failedResult('io_error', `${path}: too large to read (${describeError(err)})`);
  if (typeof code === 'string' && code.startsWith('E')) return failedResult('io_error', `${path}: ${describeError(err)}`);
  // Anything else was thrown by a format library on bytes it could not make sense of.
  return failedResult('corrupt', `${path}: ${describeError(err)}`);
}
