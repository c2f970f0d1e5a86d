import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import type { SeriesWrite } from '../../src/writer/drain-plan.js';
import type { SeriesRows } from '../../src/writer/pg/pg-copy-binary.js';

/** First candle_time of the preloaded history (Unix seconds, 1m bars). */
const T0 = 1_600_000_000;
const BAR_S = 60;
const SLICE_ROWS = 50_000;
const BULK_ROWS = 50_000;

export interface DrainShape {
  readonly name: string;
  /** Rows in one drain. */
  readonly rows: number;
  /** True when every key is new (a COPY into the indexed ceiling table is possible). */
  readonly fresh: boolean;
  /** Rounds to measure: small drains vary most on a shared machine, so they get more. */
  readonly rounds: number;
  /** The drain of round `round` (new times or series each round, or the import again). */
  writes(round: number): SeriesWrite[];
}

/** Prices that move like a market's, with two decimals (volume five), as exchanges send them. */
function candles(series: number, times: readonly number[], bump = 0): Float64Array {
  const out = new Float64Array(times.length * CANDLE_STRIDE);
  times.forEach((t, i) => {
    const p = Math.round((30_000 + series * 7 + Math.sin(t / 3000) * 500 + bump) * 100) / 100;
    out.set([t, p, p + 10, p - 10, p + 1.25, Math.round((100 + (t % 17) + bump) * 1e5) / 1e5], i * CANDLE_STRIDE);
  });
  return out;
}

const seriesId = (i: number) => `binance:futures:S${i}/USDT:1m`;
const write = (id: string, all: Float64Array): SeriesWrite => ({ seriesId: id, all, published: all, silent: new Float64Array(0) });
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => T0 + (from + i) * BAR_S);

/** `perSeries` candles for each of `series` series, time-major (interleaved), in 50k-row drains. */
export function* preloadWrites(series: number, perSeries: number): Generator<SeriesWrite[]> {
  const timesPerSlice = Math.max(1, Math.floor(SLICE_ROWS / series));
  for (let from = 0; from < perSeries; from += timesPerSlice) {
    const n = Math.min(timesPerSlice, perSeries - from);
    yield Array.from({ length: series }, (_, s) => write(seriesId(s), candles(s, range(from, n))));
  }
}

/** The four shapes (module comment of bench/store-drains.ts); times continue after the preload. `quick`: one round each. */
export function drainShapes(series: number): DrainShape[] {
  let next = 1_000_000; // bar index after any preload
  const live = (perSeries: number, rounds: number): DrainShape => ({
    name: `live ${perSeries} × ${series} series`,
    rows: perSeries * series,
    fresh: true,
    rounds,
    writes: () => {
      const times = range(next, perSeries);
      next += perSeries;
      return Array.from({ length: series }, (_, s) => write(seriesId(s), candles(s, times)));
    },
  });
  const bulk = (round: number) => write(`binance:spot:IMPORT${round}/USDT:1m`, candles(round, range(0, BULK_ROWS)));
  return [
    live(1, 40),
    live(20, 15),
    { name: 'import 50,000 × 1 new series', rows: BULK_ROWS, fresh: true, rounds: 5, writes: (round) => [bulk(round)] },
    {
      name: 'overwrite those 50,000 (new values)',
      rows: BULK_ROWS,
      fresh: false,
      rounds: 5,
      writes: (round) => [write(bulk(round).seriesId, candles(round, range(0, BULK_ROWS), 1))],
    },
  ];
}

/** The writes as dictionary-keyed rows (PostgreSQL ceilings), ids given in order of first sight. */
export function seriesRows(writes: readonly SeriesWrite[], ids: Map<string, number>): SeriesRows[] {
  return writes.map((w) => {
    let id = ids.get(w.seriesId);
    if (id === undefined) ids.set(w.seriesId, (id = ids.size + 1));
    return { id, data: w.all };
  });
}
