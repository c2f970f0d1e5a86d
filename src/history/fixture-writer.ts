import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { CANDLE_STRIDE, candleCount } from '../domain/candle.js';
import { parseSeriesId } from '../domain/series-id.js';
import { encodeFeather, type FeatherWriteOptions } from './feather-writer.js';
import { CANDLE_FORMATS, type CandleFormat } from './formats.js';
import { candidateStems } from './freqtrade-names.js';
import { generateCandles, type GapSpec } from './synthetic-candles.js';

/**
 * Writes freqtrade-style candle files and whole datadirs from generated data, for tests,
 * benchmarks and the offline demo (never used by the gateway itself). Every format holds the same candles, so readers
 * can be checked against each other.
 */

const gzipAsync = promisify(gzip);

export type ParquetTimeUnit = 'MILLIS' | 'MICROS' | 'NANOS';

export interface CandleFileOptions {
  readonly feather?: FeatherWriteOptions;
  /** Timestamp unit of the parquet `date` column; pyarrow ≥ 13 writes NANOS for pandas ns data. */
  readonly parquetUnit?: ParquetTimeUnit;
  /** Rows per parquet row group (tail reads skip whole groups). */
  readonly parquetRowGroupRows?: number;
}

export async function writeCandleFile(path: string, format: CandleFormat, candles: Float64Array, options: CandleFileOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  switch (format) {
    case 'feather':
      return writeFile(path, encodeFeather(candles, options.feather));
    case 'json':
      return writeFile(path, candlesToJson(candles));
    case 'json.gz':
      return writeFile(path, await gzipAsync(candlesToJson(candles)));
    case 'parquet':
      return writeFile(path, await encodeParquet(candles, options));
  }
}

/**
 * freqtrade's JSON layout, `[[epoch_ms, o, h, l, c, v], ...]`. `String(number)` is the shortest
 * round-tripping form (as JSON.stringify writes it), so reading gives back the same doubles; NaN
 * becomes null as pandas writes it.
 */
export function candlesToJson(candles: Float64Array): string {
  const rows: string[] = new Array(candleCount(candles));
  for (let i = 0; i < rows.length; i++) {
    const b = i * CANDLE_STRIDE;
    const t = candles[b]!;
    rows[i] = `[${Number.isFinite(t) ? t * 1000 : 'null'},${jsonNumber(candles[b + 1]!)},${jsonNumber(candles[b + 2]!)},${jsonNumber(candles[b + 3]!)},${jsonNumber(candles[b + 4]!)},${jsonNumber(candles[b + 5]!)}]`;
  }
  return `[${rows.join(',')}]`;
}

function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

const PARQUET_PER_SECOND: Record<ParquetTimeUnit, bigint> = { MILLIS: 1_000n, MICROS: 1_000_000n, NANOS: 1_000_000_000n };
const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Parquet as pandas/pyarrow lays it out: OPTIONAL columns, `date` an INT64 TIMESTAMP adjusted to
 * UTC, NaN stored as null. hyparquet-writer is a dev dependency, loaded only when parquet is asked for.
 */
async function encodeParquet(candles: Float64Array, options: CandleFileOptions): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const unit = options.parquetUnit ?? 'NANOS';
  const n = candleCount(candles);
  const dates: (bigint | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = candles[i * CANDLE_STRIDE]!;
    dates[i] = Number.isFinite(t) ? BigInt(Math.round(t)) * PARQUET_PER_SECOND[unit] : null;
  }
  const prices = PRICE_COLUMNS.map((name, c) => {
    const values = new Float64Array(n);
    let hasNaN = false;
    for (let i = 0; i < n; i++) {
      values[i] = candles[i * CANDLE_STRIDE + c + 1]!;
      if (Number.isNaN(values[i]!)) hasNaN = true;
    }
    return { name, data: hasNaN ? Array.from(values, (v) => (Number.isNaN(v) ? null : v)) : values };
  });
  const buffer = parquetWriteBuffer({
    columnData: [{ name: 'date', data: dates }, ...prices],
    schema: [
      { name: 'schema', num_children: 6 },
      { name: 'date', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit } },
      ...PRICE_COLUMNS.map((name) => ({ name, type: 'DOUBLE' as const, repetition_type: 'OPTIONAL' as const })),
    ],
    rowGroupSize: options.parquetRowGroupRows ?? 65_536,
  });
  return new Uint8Array(buffer);
}

export interface DatadirFixtureSpec {
  /** Datadir to write into (created if missing). */
  readonly out: string;
  /** Series ids, e.g. `binance:spot:BTC/USDT:1m`, `binance:futures:ETH/USDT:5m`. */
  readonly series: readonly string[];
  readonly count: number;
  /** Unix seconds of the first candle. */
  readonly startTime: number;
  readonly gaps?: readonly GapSpec[];
  /** Formats to write for every series; default all four. */
  readonly formats?: readonly CandleFormat[];
  readonly seed?: number;
  /** Name futures files `BTC_USDT-5m-futures` (pre-2022 freqtrade) instead of `BTC_USDT_USDT-…`. */
  readonly legacyFuturesNames?: boolean;
  readonly fileOptions?: CandleFileOptions;
}

export interface WrittenFixture {
  readonly seriesId: string;
  readonly format: CandleFormat;
  readonly path: string;
  readonly rows: number;
  /** The candles written, for comparing with what a reader returns. */
  readonly candles: Float64Array;
}

/** Writes every series in every format under freqtrade's names. Throws on an invalid spec. */
export async function writeDatadir(spec: DatadirFixtureSpec): Promise<WrittenFixture[]> {
  const written: WrittenFixture[] = [];
  for (const raw of spec.series) {
    const series = parseSeriesId(raw);
    const stems = candidateStems(series);
    if (stems.length === 0) throw new RangeError(`${raw}: freqtrade has no candle files for market '${series.market}'`);
    const stem = spec.legacyFuturesNames && series.market === 'futures' ? stems[stems.length - 1]! : stems[0]!;
    const candles = generateCandles({ count: spec.count, startTime: spec.startTime, tfSeconds: series.tfSeconds, seed: seriesSeed(spec.seed ?? 1, raw), gaps: spec.gaps });
    for (const format of spec.formats ?? CANDLE_FORMATS) {
      const path = join(spec.out, `${stem}.${format}`);
      await writeCandleFile(path, format, candles, spec.fileOptions);
      written.push({ seriesId: raw, format, path, rows: candleCount(candles), candles });
    }
  }
  return written;
}

/** Different series get different walks from one seed (FNV-1a of the id mixed with the seed). */
function seriesSeed(seed: number, seriesId: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < seriesId.length; i++) hash = Math.imul(hash ^ seriesId.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
