/**
 * The candle file formats freqtrade writes that we read, in the order a series' file is looked for.
 *
 * - feather first: freqtrade's default since 2023, and our fastest decode (columnar, LZ4, and a
 *   tail read skips earlier record batches).
 * - parquet next: same columns, also columnar with row-group skipping for tails.
 * - json.gz before json: both are parsed whole; of two leftovers from `convert-data`, the
 *   compressed one is the newer freqtrade option ("jsongz") and the smaller read.
 *
 * freqtrade's `hdf5` handler is not supported (no maintained pure-JS HDF5 reader); such files are
 * simply not candidates.
 */
export const CANDLE_FORMATS = ['feather', 'parquet', 'json.gz', 'json'] as const;
export type CandleFormat = (typeof CANDLE_FORMATS)[number];

/** The format a path's extension names, or undefined for anything we do not read. */
export function formatOfPath(path: string): CandleFormat | undefined {
  const lower = path.toLowerCase();
  // `.json` is not a suffix of `.json.gz`, so plain suffix tests cannot confuse the two.
  for (const format of CANDLE_FORMATS) if (lower.endsWith(`.${format}`)) return format;
  return undefined;
}
