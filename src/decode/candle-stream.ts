import { CANDLE_STRIDE, candleCount } from '../domain/candle.js';
import { isValidRow, type ColumnChunk } from './candle-accumulator.js';
import type { DecodeReason } from './decode-result.js';
import { formatOfPath } from '../domain/freqtrade-formats.js';
import { openFeather, type FeatherFile } from './read-feather.js';
import { readCandleFile, resultOfError, type ReadCandleFileOptions } from './read-candle-file.js';

export interface CandleStreamOptions extends ReadCandleFileOptions {
  /** Candles per chunk handed to the sink (the last one may be shorter). */
  readonly chunkRows: number;
}

export interface StreamProgress {
  /** Rows decoded from the file so far. */
  readonly rowsRead: number;
  /** Share of the file decoded so far, 0..1. */
  readonly fraction: number;
}

/**
 * Receives the candles of a file in file order, `chunkRows` at a time: packed, valid rows only.
 * Each chunk owns its buffer, so the sink may transfer it. The stream waits for the returned
 * promise before decoding further (that is the flow control).
 */
export type ChunkSink = (chunk: Float64Array, progress: StreamProgress) => Promise<void>;

export interface StreamSummary {
  readonly rowsRead: number;
  /** Candles handed to the sink. */
  readonly rowsSent: number;
  readonly gaps: number;
  readonly missingBars: number;
  readonly firstTime: number | null;
  /** Newest candle time handed to the sink. */
  readonly lastTime: number | null;
  /** Why the file gave no (or not all its) candles; rows sent before a mid-file failure stay sent. */
  readonly reason?: DecodeReason;
}

/**
 * Streams a candle file to `sink`. A whole feather file is decoded one record batch at a time
 * (pyarrow writes 64Ki rows per batch), so the first chunks are being written while later ones are
 * still being decoded and memory stays at a few chunks whatever the file size. Tail reads and the
 * other formats are read whole by `readCandleFile` (sorted, deduplicated) and then cut into chunks.
 *
 * Streamed candles are not sorted across the file: freqtrade writes them in time order, and if a
 * file is not, the writer's upsert still stores the same result (last row of a time wins, as a
 * full sort would keep it); only `gaps` then counts forward holes in file order. Never throws for
 * file problems (they become `reason`); errors of `sink` propagate.
 */
export async function streamCandleFile(path: string, options: CandleStreamOptions, sink: ChunkSink): Promise<StreamSummary> {
  if (!Number.isSafeInteger(options.chunkRows) || options.chunkRows <= 0)
    throw new RangeError(`chunkRows must be a positive integer, got ${options.chunkRows}`);
  const format = options.format ?? formatOfPath(path);
  const whole = format !== 'feather' || (options.tail ?? 0) > 0 || !Number.isSafeInteger(options.tfSeconds) || options.tfSeconds <= 0;
  return whole ? streamWhole(path, options, sink) : streamFeather(path, options, sink);
}

async function streamWhole(path: string, options: CandleStreamOptions, sink: ChunkSink): Promise<StreamSummary> {
  const result = await readCandleFile(path, options);
  const { candles, rowsRead } = result;
  const n = candleCount(candles);
  // Read before sending: the sink may transfer (detach) the buffer.
  const firstTime = n > 0 ? candles[0]! : null;
  const lastTime = n > 0 ? candles[(n - 1) * CANDLE_STRIDE]! : null;
  for (let from = 0; from < n; from += options.chunkRows) {
    const to = Math.min(n, from + options.chunkRows);
    // One chunk: the result's own buffer; more: each chunk needs a buffer of its own to transfer.
    const chunk = from === 0 && to === n ? candles : candles.slice(from * CANDLE_STRIDE, to * CANDLE_STRIDE);
    await sink(chunk, { rowsRead, fraction: to / n });
  }
  return {
    rowsRead,
    rowsSent: n,
    gaps: result.gaps,
    missingBars: result.missingBars,
    firstTime,
    lastTime,
    ...(result.reason ? { reason: result.reason } : {}),
  };
}

async function streamFeather(path: string, options: CandleStreamOptions, sink: ChunkSink): Promise<StreamSummary> {
  let file: FeatherFile;
  try {
    file = await openFeather(path);
  } catch (err) {
    return { ...new ChunkPacker(1, options.tfSeconds).summary(), reason: resultOfError(err, path).reason! };
  }
  const packer = new ChunkPacker(options.chunkRows, options.tfSeconds);
  try {
    for (let b = 0; b < file.batches; b++) {
      let columns: ColumnChunk;
      try {
        columns = await file.readChunk(b);
      } catch (err) {
        return { ...packer.summary(), reason: resultOfError(err, path).reason! };
      }
      const progress = { rowsRead: packer.rowsRead + columns.length, fraction: (b + 1) / file.batches };
      for (const full of packer.add(columns)) await sink(full, progress);
    }
    const last = packer.flush();
    if (last) await sink(last, { rowsRead: packer.rowsRead, fraction: 1 });
  } finally {
    await file.close();
  }
  const summary = packer.summary();
  if (summary.rowsSent > 0) return summary;
  const reason: DecodeReason =
    summary.rowsRead === 0
      ? { code: 'no_rows', message: `${path}: the file holds no rows` }
      : { code: 'no_valid_rows', message: `${path}: all ${summary.rowsRead} rows have a missing, NaN or infinite value` };
  return { ...summary, reason };
}

/** Packs the valid rows of decoded column chunks into fixed-size candle chunks, counting gaps. */
class ChunkPacker {
  rowsRead = 0;
  private sent = 0;
  private buf: Float64Array;
  private filled = 0;
  private gaps = 0;
  private missingBars = 0;
  private first: number | null = null;
  private prev: number | null = null;
  private newest: number | null = null;

  constructor(
    private readonly chunkRows: number,
    private readonly tfSeconds: number,
  ) {
    this.buf = new Float64Array(chunkRows * CANDLE_STRIDE);
  }

  /** Adds decoded rows; returns the chunks that became full. */
  add(chunk: ColumnChunk): Float64Array[] {
    const full: Float64Array[] = [];
    const { length: n, times, open, high, low, close, volume } = chunk;
    this.rowsRead += n;
    for (let i = 0; i < n; i++) {
      if (!isValidRow(chunk, i)) continue;
      const t = times[i]!;
      this.track(t);
      const b = this.filled * CANDLE_STRIDE;
      this.buf[b] = t;
      this.buf[b + 1] = open[i]!;
      this.buf[b + 2] = high[i]!;
      this.buf[b + 3] = low[i]!;
      this.buf[b + 4] = close[i]!;
      this.buf[b + 5] = volume[i]!;
      if (++this.filled === this.chunkRows) full.push(this.take());
    }
    return full;
  }

  /** The partly filled last chunk, if any. */
  flush(): Float64Array | null {
    return this.filled > 0 ? this.take() : null;
  }

  summary(): StreamSummary {
    return { rowsRead: this.rowsRead, rowsSent: this.sent, gaps: this.gaps, missingBars: this.missingBars, firstTime: this.first, lastTime: this.newest };
  }

  private take(): Float64Array {
    const chunk = this.filled === this.chunkRows ? this.buf : this.buf.subarray(0, this.filled * CANDLE_STRIDE);
    this.sent += this.filled;
    this.filled = 0;
    this.buf = new Float64Array(this.chunkRows * CANDLE_STRIDE);
    return chunk;
  }

  /** Same gap rule as a full read (candle-accumulator.ts), applied in file order. */
  private track(t: number): void {
    if (this.first === null) this.first = t;
    if (this.prev !== null) {
      const step = t - this.prev;
      if (step > this.tfSeconds) {
        this.gaps++;
        this.missingBars += Math.max(0, Math.round(step / this.tfSeconds) - 1);
      }
    }
    this.prev = t;
    if (this.newest === null || t > this.newest) this.newest = t;
  }
}
