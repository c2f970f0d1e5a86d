import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { CandleAccumulator } from './candle-accumulator.js';
import { DecodeFailure, type DecodeResult, type ReadOptions } from './decode-result.js';

const gunzipAsync = promisify(gunzip);

/**
 * Reads freqtrade's `json` and `jsongz` candle files: `[[epoch_ms, o, h, l, c, v], ...]`
 * (freqtrade's JsonDataHandler stores `date` as int64 ns // 10^6 with `orient="values"`; pandas
 * writes NaN as null). JSON cannot be read from the end, so a tail read parses the whole file and
 * keeps the tail. Unzipping runs on libuv's thread pool, parsing on the calling thread (a decode
 * worker in production).
 */
export async function readJson(path: string, options: ReadOptions, gzipped: boolean): Promise<DecodeResult> {
  const raw = await readFile(path);
  if (raw.length === 0) throw new DecodeFailure('empty_file', `${gzipped ? 'json.gz' : 'json'} file is 0 bytes`);
  const text = (gzipped ? await gunzipped(raw) : raw).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DecodeFailure('corrupt', `invalid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new DecodeFailure('wrong_schema', 'JSON is not an array of candle rows');
  const rows = parsed as unknown[];
  const first = rows.find((row) => row !== null);
  if (first !== undefined && !(Array.isArray(first) && first.length >= 6)) {
    throw new DecodeFailure('wrong_schema', 'JSON rows are not [date, open, high, low, close, volume] arrays');
  }
  const accumulator = new CandleAccumulator();
  accumulator.add(columnsOf(rows));
  return accumulator.finish(options);
}

async function gunzipped(raw: Buffer): Promise<Buffer> {
  try {
    return await gunzipAsync(raw);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // zlib reports a cut-off stream as Z_BUF_ERROR "unexpected end of file".
    if (e.code === 'Z_BUF_ERROR') throw new DecodeFailure('truncated', `gzip stream cut off: ${e.message}`);
    throw new DecodeFailure('corrupt', `not a gzip file: ${e.message}`);
  }
}

function columnsOf(rows: unknown[]) {
  const n = rows.length;
  const times = new Float64Array(n);
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)] as const;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length < 6) {
      times[i] = NaN;
      continue;
    }
    times[i] = Math.floor(num(row[0]) / 1000);
    for (let c = 0; c < 5; c++) cols[c][i] = num(row[c + 1]);
  }
  const [open, high, low, close, volume] = cols;
  return { length: n, times, open, high, low, close, volume };
}

/** JSON numbers only; null (pandas' NaN) and anything else become NaN and drop the row. */
function num(value: unknown): number {
  return typeof value === 'number' ? value : NaN;
}
