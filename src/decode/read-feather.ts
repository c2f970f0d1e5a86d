import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader, TimeUnit, Type, type DataType, type RecordBatch, type Schema, type Vector } from 'apache-arrow';
import { CandleAccumulator, type ColumnChunk } from './candle-accumulator.js';
import { DecodeFailure, type DecodeResult, type ReadOptions } from './decode-result.js';
import { registerLz4Codec } from './lz4-codec.js';

/**
 * Reads a freqtrade feather file: an Arrow IPC file (feather v2) with `date: timestamp[<unit>]`
 * and float `open/high/low/close/volume`, usually LZ4_FRAME-compressed (pandas
 * `to_feather(compression="lz4")`).
 *
 * Columns are read as typed arrays straight from the decompressed buffers; no per-row objects.
 * The file is opened for random access: apache-arrow reads the footer, then only the record
 * batches asked for, so a tail read decompresses the last batches (pyarrow writes 64Ki rows per
 * batch) and never touches the rest of the file.
 *
 * Throws `DecodeFailure` for files that cannot give candles; `readCandleFile` turns anything
 * thrown into a result.
 */
export async function readFeather(path: string, options: ReadOptions): Promise<DecodeResult> {
  const file = await openFeather(path);
  try {
    return (await collect(file.batches, file.readChunk, options.tail ?? 0)).finish(options);
  } finally {
    await file.close();
  }
}

/** An opened feather file whose record batches can be decoded one at a time, in any order. */
export interface FeatherFile {
  readonly batches: number;
  readChunk(index: number): Promise<ColumnChunk>;
  close(): Promise<void>;
}

/**
 * Opens a feather file and checks its framing and schema; batches are decoded on demand (a full
 * import streams them, a tail read takes the last ones). Throws `DecodeFailure` like `readFeather`.
 */
export async function openFeather(path: string): Promise<FeatherFile> {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    if (size === 0) throw new DecodeFailure('empty_file', 'feather file is 0 bytes');
    await checkFraming(handle, size);
    registerLz4Codec();
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    if (!reader.isFile()) throw new DecodeFailure('corrupt', 'not an Arrow IPC file');
    const columns = candleColumns(reader.schema);
    return {
      batches: reader.numRecordBatches,
      async readChunk(index: number): Promise<ColumnChunk> {
        const batch = await reader.readRecordBatch(index);
        if (!batch) throw new DecodeFailure('corrupt', `record batch ${index} is missing`);
        return chunkOf(batch, columns);
      },
      close: () => handle.close().catch(() => undefined),
    };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Decodes whole batches until the tail is covered. freqtrade writes candles in time order, so the
 * last batches hold the latest candles; if the decoded suffix turns out not to be in order, the
 * file is not as freqtrade writes it and only a full read is correct.
 */
async function collect(batches: number, readChunk: (index: number) => Promise<ColumnChunk>, tail: number): Promise<CandleAccumulator> {
  if (tail > 0) {
    const suffix = new CandleAccumulator();
    let next = batches - 1;
    while (next >= 0 && suffix.validRows < tail) suffix.add(await readChunk(next--), 'start');
    if (next < 0 || suffix.isAscending()) return suffix;
  }
  const all = new CandleAccumulator();
  for (let i = 0; i < batches; i++) all.add(await readChunk(i));
  return all;
}

const ARROW_MAGIC = 'ARROW1';
const FEATHER_V1_MAGIC = 'FEA1';
/** `ARROW1` + 2 padding bytes at the start; int32 footer length + `ARROW1` at the end. */
const HEAD_BYTES = 8;
const TRAILER_BYTES = 10;

/**
 * Tells truncated and foreign files apart before apache-arrow sees them (it fails on both with
 * unhelpful TypeErrors): the IPC file format starts with `ARROW1` and ends with the footer length
 * and `ARROW1`, so a cut-off file keeps its head magic and loses its trailer.
 */
async function checkFraming(handle: FileHandle, size: number): Promise<void> {
  const head = Buffer.alloc(HEAD_BYTES);
  await handle.read(head, 0, Math.min(HEAD_BYTES, size), 0);
  if (head.toString('latin1', 0, 6) !== ARROW_MAGIC) {
    if (head.toString('latin1', 0, 4) === FEATHER_V1_MAGIC) {
      throw new DecodeFailure(
        'unsupported_format',
        'feather v1 file (written by pyarrow < 0.17); rewrite it with a current freqtrade (`freqtrade convert-data`)',
      );
    }
    if (head.readInt32LE(0) === -1) throw new DecodeFailure('unsupported_format', 'Arrow IPC stream, not an IPC file (feather v2)');
    throw new DecodeFailure('corrupt', 'not an Arrow IPC file (no ARROW1 magic)');
  }
  if (size < HEAD_BYTES + TRAILER_BYTES) throw new DecodeFailure('truncated', `feather file cut off at ${size} bytes`);
  const trailer = Buffer.alloc(TRAILER_BYTES);
  await handle.read(trailer, 0, TRAILER_BYTES, size - TRAILER_BYTES);
  if (trailer.toString('latin1', 4) !== ARROW_MAGIC) throw new DecodeFailure('truncated', `feather file cut off at ${size} bytes (no footer)`);
  const footerLength = trailer.readInt32LE(0);
  if (footerLength <= 0 || footerLength > size - HEAD_BYTES - TRAILER_BYTES) {
    throw new DecodeFailure('corrupt', `footer length ${footerLength} does not fit a ${size}-byte file`);
  }
}

interface CandleColumns {
  readonly date: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  /** Divides the stored timestamps into seconds. */
  readonly perSecond: number;
}

const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
const PER_SECOND: Record<TimeUnit, number> = {
  [TimeUnit.SECOND]: 1,
  [TimeUnit.MILLISECOND]: 1e3,
  [TimeUnit.MICROSECOND]: 1e6,
  [TimeUnit.NANOSECOND]: 1e9,
};

/** Column indexes by name; the timestamp unit comes from the schema, as pandas versions differ. */
function candleColumns(schema: Schema): CandleColumns {
  const index = (name: string): number => schema.fields.findIndex((f) => f.name === name);
  const date = index('date');
  const dateType = date >= 0 ? schema.fields[date]!.type : undefined;
  const problems: string[] = [];
  if (!dateType || dateType.typeId !== Type.Timestamp) problems.push('date must be a timestamp');
  const prices = PRICE_COLUMNS.map((name) => {
    const i = index(name);
    if (i < 0 || !isNumeric(schema.fields[i]!.type)) problems.push(`${name} must be numeric`);
    return i;
  });
  if (problems.length > 0) {
    const found = schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(', ');
    throw new DecodeFailure('wrong_schema', `not an OHLCV feather (${problems.join('; ')}); columns: ${found}`);
  }
  const unit = (dateType as DataType<Type.Timestamp> & { unit: TimeUnit }).unit;
  const [open, high, low, close, volume] = prices as [number, number, number, number, number];
  return { date, open, high, low, close, volume, perSecond: PER_SECOND[unit] };
}

function isNumeric(type: DataType): boolean {
  return type.typeId === Type.Float || type.typeId === Type.Int;
}

function chunkOf(batch: RecordBatch, columns: CandleColumns): ColumnChunk {
  const n = batch.numRows;
  const column = (i: number): Vector => batch.getChildAt(i)!;
  return {
    length: n,
    times: timesOf(column(columns.date), n, columns.perSecond),
    open: floatsOf(column(columns.open), n),
    high: floatsOf(column(columns.high), n),
    low: floatsOf(column(columns.low), n),
    close: floatsOf(column(columns.close), n),
    volume: floatsOf(column(columns.volume), n),
  };
}

/** The one Data of a record batch column, checked to hold as many values as the batch has rows. */
function dataOf(vector: Vector, rows: number) {
  const data = vector.data;
  if (data.length !== 1 || data[0]!.length !== rows) throw new DecodeFailure('corrupt', 'column length differs from the record batch length');
  const d = data[0]!;
  if (d.values.length < d.offset + rows) throw new DecodeFailure('corrupt', 'column buffer shorter than its row count');
  return d;
}

function isValid(bitmap: Uint8Array, index: number): boolean {
  return (bitmap[index >> 3]! & (1 << (index & 7))) !== 0;
}

/** Float column as a Float64Array: the buffer itself when possible, nulls as NaN. */
function floatsOf(vector: Vector, rows: number): Float64Array {
  const d = dataOf(vector, rows);
  const values = d.values as ArrayLike<number | bigint>;
  if (values instanceof Float64Array && d.nullCount === 0) return values.subarray(d.offset, d.offset + rows);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = Number(values[d.offset + i]!);
  if (d.nullCount > 0 && d.nullBitmap) {
    for (let i = 0; i < rows; i++) if (!isValid(d.nullBitmap, d.offset + i)) out[i] = NaN;
  }
  return out;
}

const TWO_POW_32 = 4294967296;

/**
 * int64 timestamps to whole Unix seconds (floor), nulls as NaN. The int64 is read as two int32
 * halves: `hi * 2^32 + lo` is exact for ms/us/s values, and for whole-second nanoseconds too
 * (multiples of 1e9 are multiples of 2^9, so they fit a double's 53-bit mantissa up to 2^62);
 * BigInt conversion per row would cost several times more.
 */
function timesOf(vector: Vector, rows: number, perSecond: number): Float64Array {
  const d = dataOf(vector, rows);
  const values: unknown = d.values;
  if (!(values instanceof BigInt64Array)) throw new DecodeFailure('unsupported_format', 'timestamp column is not stored as int64');
  const halves = new Int32Array(values.buffer, values.byteOffset + d.offset * 8, rows * 2);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const raw = halves[2 * i + 1]! * TWO_POW_32 + (halves[2 * i]! >>> 0);
    out[i] = Math.floor(raw / perSecond);
  }
  if (d.nullCount > 0 && d.nullBitmap) {
    for (let i = 0; i < rows; i++) if (!isValid(d.nullBitmap, d.offset + i)) out[i] = NaN;
  }
  return out;
}
