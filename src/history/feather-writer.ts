import { writeFile } from 'node:fs/promises';
import { CompressionType, Field, Float64, Message, MetadataVersion, Schema, TimeUnit, Timestamp } from 'apache-arrow';
// apache-arrow's public writer cannot be used for compressed files (see below); its flatbuffer
// metadata classes are only reachable through these subpaths, which its package exports.
import { FileBlock, Footer } from 'apache-arrow/ipc/metadata/file';
import { BodyCompression, BufferRegion, FieldNode, RecordBatch as RecordBatchHeader } from 'apache-arrow/ipc/metadata/message';
import { BodyCompressionMethod } from 'apache-arrow/fb/body-compression-method';
import lz4js from 'lz4js';
import { CANDLE_STRIDE, candleCount } from '../domain/candle.js';

/**
 * Writes candles as a freqtrade-style feather file: an Arrow IPC file with `date:
 * timestamp[<unit>, UTC]`, float64 `open/high/low/close/volume` and pandas metadata, its record
 * batches LZ4_FRAME-compressed like pandas `to_feather(compression="lz4")`.
 *
 * We assemble the IPC body ourselves because apache-arrow 21's RecordBatchWriter prefixes each
 * compressed buffer with its *compressed* length; the Arrow format (Message.fbs,
 * BodyCompressionMethod.BUFFER) wants the *uncompressed* length, and pyarrow and polars reject such
 * files ("decompressed buffer length which is not a multiple of the data type"). apache-arrow
 * still encodes the flatbuffer metadata (schema, record batch headers, footer).
 */

export type FeatherUnit = 'ns' | 'us' | 'ms' | 's';

export interface FeatherWriteOptions {
  /** Timestamp unit of `date`; freqtrade (pandas 2) writes ns. */
  readonly unit?: FeatherUnit;
  readonly compression?: 'lz4' | 'none';
  /** Rows per record batch; pyarrow's `write_feather` default is 64Ki. */
  readonly batchRows?: number;
  /**
   * Store NaN values as nulls, as pyarrow does when it converts a pandas frame (freqtrade's mark
   * files have null volume this way). With false, NaN bit patterns are stored as values.
   */
  readonly nanAsNull?: boolean;
}

export const DEFAULT_BATCH_ROWS = 65_536;
/**
 * lz4js writes 4 MiB blocks and may start a match within the last 12 bytes of a block, which the
 * LZ4 block format forbids; liblz4 (pyarrow) enforces that rule only on blocks that fill the
 * 4 MiB maximum. 256Ki rows × 8 bytes = 2 MiB buffers keep every frame a single partial block.
 */
export const MAX_BATCH_ROWS = 262_144;

const UNITS: Record<FeatherUnit, { arrow: TimeUnit; perSecond: bigint; numpy: string }> = {
  ns: { arrow: TimeUnit.NANOSECOND, perSecond: 1_000_000_000n, numpy: 'datetime64[ns]' },
  us: { arrow: TimeUnit.MICROSECOND, perSecond: 1_000_000n, numpy: 'datetime64[us]' },
  ms: { arrow: TimeUnit.MILLISECOND, perSecond: 1_000n, numpy: 'datetime64[ms]' },
  s: { arrow: TimeUnit.SECOND, perSecond: 1n, numpy: 'datetime64[s]' },
};
const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;
const ARROW_MAGIC = new TextEncoder().encode('ARROW1');
const CONTINUATION = 0xffffffff;

export async function writeFeatherFile(path: string, candles: Float64Array, options: FeatherWriteOptions = {}): Promise<void> {
  await writeFile(path, encodeFeather(candles, options));
}

/** The file's bytes, in pieces (a 1M-row file is ~30 MB; callers write them without joining). */
export function encodeFeather(candles: Float64Array, options: FeatherWriteOptions = {}): Uint8Array[] {
  const unit = UNITS[options.unit ?? 'ns'];
  const compress = (options.compression ?? 'lz4') === 'lz4';
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isSafeInteger(batchRows) || batchRows <= 0 || batchRows > MAX_BATCH_ROWS) {
    throw new RangeError(`batchRows must be 1..${MAX_BATCH_ROWS}, got ${batchRows}`);
  }
  const rows = candleCount(candles);
  const schema = candleSchema(unit, rows);
  const out = new IpcOutput();
  out.push(ARROW_MAGIC, new Uint8Array(2));
  out.pushMessage(Message.encode(Message.from(schema)));
  const blocks: FileBlock[] = [];
  for (let start = 0; start < rows; start += batchRows) {
    const end = Math.min(rows, start + batchRows);
    const columns = batchColumns(candles, start, end, unit.perSecond, options.nanAsNull ?? true);
    const body = assembleBody(columns, compress);
    const header = new RecordBatchHeader(end - start, body.nodes, body.regions, compress ? new BodyCompression(CompressionType.LZ4_FRAME, BodyCompressionMethod.BUFFER) : null);
    const offset = out.position;
    const metaDataLength = out.pushMessage(Message.encode(Message.from(header, body.length)));
    for (const piece of body.pieces) out.push(piece);
    blocks.push(new FileBlock(metaDataLength, body.length, offset));
  }
  out.push(u32(CONTINUATION), u32(0)); // end-of-stream marker, for readers that read it as a stream
  const footer = Footer.encode(new Footer(schema, MetadataVersion.V5, blocks, []));
  out.push(footer, u32(footer.length), ARROW_MAGIC);
  return out.pieces;
}

function candleSchema(unit: (typeof UNITS)[FeatherUnit], rows: number): Schema {
  const fields = [new Field('date', new Timestamp(unit.arrow, 'UTC'), true), ...PRICE_COLUMNS.map((name) => new Field(name, new Float64(), true))];
  return new Schema(fields, new Map([['pandas', pandasMetadata(unit.numpy, rows)]]));
}

/** The `pandas` schema metadata pyarrow writes, so pandas restores the frame as freqtrade's. */
function pandasMetadata(numpyDateType: string, rows: number): string {
  const price = (name: string) => ({ name, field_name: name, pandas_type: 'float64', numpy_type: 'float64', metadata: null });
  return JSON.stringify({
    index_columns: [{ kind: 'range', name: null, start: 0, stop: rows, step: 1 }],
    column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [
      { name: 'date', field_name: 'date', pandas_type: 'datetimetz', numpy_type: numpyDateType, metadata: { timezone: 'UTC' } },
      ...PRICE_COLUMNS.map(price),
    ],
    creator: { library: 'kline-gateway fixture-writer', version: '1' },
    // The pandas version freqtrade's own test feathers carry; pandas reads it to restore the frame.
    pandas_version: '2.0.2',
  });
}

interface ColumnBuffers {
  readonly values: Uint8Array;
  /** Validity bitmap, or undefined when the column has no nulls (written as a 0-length buffer). */
  readonly validity: Uint8Array | undefined;
  readonly nullCount: number;
}

function batchColumns(candles: Float64Array, start: number, end: number, perSecond: bigint, nanAsNull: boolean): ColumnBuffers[] {
  const n = end - start;
  const times = new BigInt64Array(n);
  const timeValid = new Uint8Array((n + 7) >> 3);
  let timeNulls = 0;
  for (let i = 0; i < n; i++) {
    const t = candles[(start + i) * CANDLE_STRIDE]!;
    if (Number.isFinite(t)) {
      times[i] = BigInt(Math.round(t)) * perSecond;
      timeValid[i >> 3]! |= 1 << (i & 7);
    } else {
      timeNulls++;
    }
  }
  const columns: ColumnBuffers[] = [{ values: bytesOf(times), validity: timeNulls > 0 ? timeValid : undefined, nullCount: timeNulls }];
  for (let c = 1; c < CANDLE_STRIDE; c++) {
    const values = new Float64Array(n);
    const valid = new Uint8Array((n + 7) >> 3);
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      const v = candles[(start + i) * CANDLE_STRIDE + c]!;
      if (nanAsNull && Number.isNaN(v)) {
        // A null's value slot is unspecified in Arrow; 0 (not NaN) makes readers honour the bitmap.
        nulls++;
      } else {
        values[i] = v;
        valid[i >> 3]! |= 1 << (i & 7);
      }
    }
    columns.push({ values: bytesOf(values), validity: nulls > 0 ? valid : undefined, nullCount: nulls });
  }
  return columns;
}

interface Body {
  readonly nodes: FieldNode[];
  readonly regions: BufferRegion[];
  readonly pieces: Uint8Array[];
  readonly length: number;
}

/**
 * Lays out the body: per column a validity then a values buffer, each 8-byte aligned. Compressed,
 * a buffer is an int64 little-endian uncompressed length followed by one LZ4 frame; an absent
 * validity bitmap is a 0-length region with no bytes, as pyarrow writes it.
 */
function assembleBody(columns: ColumnBuffers[], compress: boolean): Body {
  const nodes: FieldNode[] = [];
  const regions: BufferRegion[] = [];
  const pieces: Uint8Array[] = [];
  let length = 0;
  const add = (raw: Uint8Array | undefined): void => {
    if (!raw || raw.length === 0) {
      regions.push(new BufferRegion(length, 0));
      return;
    }
    const parts = compress ? [int64(raw.length), lz4js.compress(raw)] : [raw];
    const size = parts.reduce((sum, p) => sum + p.length, 0);
    regions.push(new BufferRegion(length, size));
    pieces.push(...parts);
    const padding = (8 - (size % 8)) % 8;
    if (padding > 0) pieces.push(new Uint8Array(padding));
    length += size + padding;
  };
  for (const column of columns) {
    nodes.push(new FieldNode(column.values.length / 8, column.nullCount));
    add(column.validity);
    add(column.values);
  }
  return { nodes, regions, pieces, length };
}

/** Collects output pieces and frames IPC messages (continuation, int32 length, 8-aligned flatbuffer). */
class IpcOutput {
  readonly pieces: Uint8Array[] = [];
  position = 0;

  push(...pieces: Uint8Array[]): void {
    for (const piece of pieces) {
      this.pieces.push(piece);
      this.position += piece.length;
    }
  }

  /** Returns the message's metadata length as the footer records it (prefix + padded flatbuffer). */
  pushMessage(flatbuffer: Uint8Array): number {
    const padded = Math.ceil((flatbuffer.length + 8) / 8) * 8 - 8;
    this.push(u32(CONTINUATION), u32(padded), flatbuffer, new Uint8Array(padded - flatbuffer.length));
    return padded + 8;
  }
}

function bytesOf(view: BigInt64Array | Float64Array): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

function int64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt(value), true);
  return bytes;
}
