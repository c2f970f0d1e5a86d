import { open, type FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet';
import { CandleAccumulator } from './candle-accumulator.js';
import { DecodeFailure, type DecodeResult, type ReadOptions } from './decode-result.js';

/**
 * Reads a freqtrade parquet candle file (same columns as feather: `date` a parquet TIMESTAMP,
 * legacy INT96 accepted; float `open/high/low/close/volume`) with hyparquet. Only the columns we
 * need are decoded, column by column; a tail read asks hyparquet for the last rows only, which
 * skips earlier row groups (their bytes are never read).
 */
export async function readParquet(path: string, options: ReadOptions): Promise<DecodeResult> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    if (size === 0) throw new DecodeFailure('empty_file', 'parquet file is 0 bytes');
    await checkFraming(handle, size);
    const file = fileBuffer(handle, size);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file);
    } catch (err) {
      throw new DecodeFailure('corrupt', `unreadable parquet footer: ${(err as Error).message}`);
    }
    checkSchema(metadata);
    const rows = Number(metadata.num_rows);
    const tail = options.tail ?? 0;
    if (tail > 0) {
      // Invalid rows or duplicates can leave fewer candles than asked: widen the window and retry.
      for (let want = tail; want < rows; want *= 2) {
        const suffix = await readRange(file, metadata, rows - want, rows);
        if (suffix.validRows >= tail && suffix.isAscending()) return suffix.finish(options);
        if (!suffix.isAscending()) break; // not in time order: only a full read is correct
      }
    }
    return (await readRange(file, metadata, 0, rows)).finish(options);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

const PARQUET_MAGIC = 'PAR1';

async function checkFraming(handle: FileHandle, size: number): Promise<void> {
  const head = Buffer.alloc(4);
  await handle.read(head, 0, Math.min(4, size), 0);
  if (head.toString('latin1') !== PARQUET_MAGIC) throw new DecodeFailure('corrupt', 'not a parquet file (no PAR1 magic)');
  const tail = Buffer.alloc(4);
  if (size >= 12) await handle.read(tail, 0, 4, size - 4);
  if (size < 12 || tail.toString('latin1') !== PARQUET_MAGIC) throw new DecodeFailure('truncated', `parquet file cut off at ${size} bytes (no footer)`);
}

/** hyparquet's random-access view of an open file: it reads only the byte ranges it needs. */
function fileBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      const bytes = new Uint8Array(Math.max(0, end - start));
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
      if (bytesRead !== bytes.length) throw new DecodeFailure('truncated', `parquet file ends before byte ${end}`);
      return bytes.buffer;
    },
  };
}

const COLUMNS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;
const NUMERIC_TYPES = new Set(['DOUBLE', 'FLOAT', 'INT32', 'INT64']);

function checkSchema(metadata: FileMetaData): void {
  const elements = new Map<string, SchemaElement>();
  for (const child of parquetSchema(metadata).children) elements.set(child.element.name, child.element);
  const problems: string[] = [];
  const date = elements.get('date');
  const isTimestamp =
    date !== undefined &&
    (date.logical_type?.type === 'TIMESTAMP' ||
      date.converted_type === 'TIMESTAMP_MILLIS' ||
      date.converted_type === 'TIMESTAMP_MICROS' ||
      date.type === 'INT96');
  if (!isTimestamp) problems.push('date must be a timestamp');
  for (const name of COLUMNS.slice(1)) {
    const element = elements.get(name);
    if (!element || !NUMERIC_TYPES.has(element.type ?? '')) problems.push(`${name} must be numeric`);
  }
  if (problems.length > 0) {
    const found = [...elements.values()].map((e) => `${e.name}:${e.logical_type?.type ?? e.converted_type ?? e.type ?? 'group'}`).join(', ');
    throw new DecodeFailure('wrong_schema', `not an OHLCV parquet (${problems.join('; ')}); columns: ${found}`);
  }
}

/** Timestamps straight to whole seconds (floor), skipping hyparquet's per-row Date objects. */
const SECOND_PARSERS = {
  timestampFromMilliseconds: (v: bigint) => Math.floor(Number(v) / 1e3),
  timestampFromMicroseconds: (v: bigint) => Math.floor(Number(v) / 1e6),
  timestampFromNanoseconds: (v: bigint) => Math.floor(Number(v) / 1e9),
};

/** Decodes rows [start, end) column by column into an accumulator. */
async function readRange(file: AsyncBuffer, metadata: FileMetaData, start: number, end: number): Promise<CandleAccumulator> {
  const n = end - start;
  const columns = new Map<string, Float64Array>(COLUMNS.map((name) => [name, new Float64Array(n).fill(NaN)]));
  await parquetRead({
    file,
    metadata,
    columns: [...COLUMNS],
    rowStart: start,
    rowEnd: end,
    parsers: SECOND_PARSERS,
    onChunk(chunk) {
      // Chunks are whole row groups or pages and may reach outside [start, end).
      const out = columns.get(chunk.columnName);
      if (!out) return;
      const from = Math.max(start, chunk.rowStart);
      const to = Math.min(end, chunk.rowEnd);
      const data = chunk.columnData as ArrayLike<unknown>;
      for (let row = from; row < to; row++) {
        const value = data[row - chunk.rowStart];
        out[row - start] = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : NaN;
      }
    },
  });
  const accumulator = new CandleAccumulator();
  accumulator.add({
    length: n,
    times: columns.get('date')!,
    open: columns.get('open')!,
    high: columns.get('high')!,
    low: columns.get('low')!,
    close: columns.get('close')!,
    volume: columns.get('volume')!,
  });
  return accumulator;
}
