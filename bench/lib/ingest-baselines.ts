import { join } from 'node:path';
import { parseKlineFrame } from '../../src/domain/binance-kline.js';
import { packCandles, type Candle } from '../../src/domain/candle.js';
import type { CandleStore } from '../../src/writer/candle-store.js';
import type { SeriesWrite } from '../../src/writer/drain-plan.js';
import { PgCandleStore } from '../../src/writer/pg/pg-candle-store.js';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import type { LocalCluster } from '../../tools/pg/local-cluster.js';
import { seriesRows } from './drain-shapes.js';
import { klineFrame, seriesIdOf } from './kline-frames.js';
import { PgCeilings } from './pg-ceilings.js';
import { SqliteCeilings } from './sqlite-ceilings.js';

/** Where a baseline writes: a SQLite file in `dir`, or a fresh database of `cluster`. */
export interface BaselineTarget {
  readonly dir: string;
  readonly cluster: LocalCluster | null;
}

const write = (seriesId: string, all: Float64Array): SeriesWrite => ({ seriesId, all, published: all, silent: new Float64Array(0) });

/**
 * The legacy path keeps a rollback journal: trade_canvas's SQLite ran one (Python's default,
 * DELETE, which also unlinks the journal per commit; PERSIST, the store's mode until 2026-12-03, is
 * the cheaper of the two, so the ratio against it is, if anything, understated). Giving the legacy
 * design our write-ahead log would measure our storage choice twice.
 */
async function openStore(target: BaselineTarget, name: string, legacy = false): Promise<CandleStore> {
  if (!target.cluster) return new SqliteCandleStore(join(target.dir, `${name}.db`), legacy ? { journalMode: 'PERSIST' } : {});
  return PgCandleStore.open({ url: await target.cluster.createDatabase(), poolSize: 1, statementTimeoutMs: 0, connectWaitMs: 0 });
}

/**
 * The legacy path on the same store: parse each frame, and commit each closed candle in its own
 * transaction (trade_canvas's design), for `sample` closed candles of `series` series.
 */
export async function legacyCandlesPerSecond(target: BaselineTarget, series: number, sample: number): Promise<number> {
  const store = await openStore(target, 'legacy', true);
  try {
    const frames: string[] = [];
    for (let n = 0; frames.length < sample * 2; n++)
      frames.push(klineFrame(n % series, Math.floor(n / series), false), klineFrame(n % series, Math.floor(n / series), true));
    const t0 = performance.now();
    let stored = 0;
    for (const text of frames) {
      const ev = parseKlineFrame(text);
      if (!ev.ok || !ev.closed) continue;
      await store.writeDrain([write(`binance:futures:${ev.symbol.replace('USDT', '/USDT')}:1m`, packCandles([ev.candle]))]);
      stored++;
    }
    return stored / ((performance.now() - t0) / 1000);
  } finally {
    await store.close();
  }
}

/**
 * The engine's ceilings for the run's closed candles (bars -1 … bars-1 of every series), written
 * in drains of `rowsPerDrain` as the writer did (time-major): rows per second into an unindexed
 * TEMP table and into a table defined like candles (bench/lib/*-ceilings.ts).
 */
export interface IngestCeilings {
  /** Rows/s into an unindexed TEMP table. */
  readonly temp: number;
  /** Rows/s into a table like candles. */
  readonly indexed: number;
  /** CPU µs per row of those inserts into the table like candles (SQLite only: PostgreSQL does it in its own processes). */
  readonly indexedCpuUsPerRow: number | null;
}

export async function ingestCeilings(target: BaselineTarget, series: number, bars: number, rowsPerDrain: number): Promise<IngestCeilings> {
  const barsPerDrain = Math.max(1, Math.round(rowsPerDrain / series));
  const drains: SeriesWrite[][] = [];
  for (let from = -1; from < bars; from += barsPerDrain) {
    const upTo = Math.min(bars, from + barsPerDrain);
    drains.push(
      Array.from({ length: series }, (_, i) => {
        const candles: Candle[] = [];
        for (let bar = from; bar < upTo; bar++) candles.push((parseKlineFrame(klineFrame(i, bar, true)) as { candle: Candle }).candle);
        return write(seriesIdOf(i), packCandles(candles));
      }),
    );
  }
  const rows = series * (bars + 1);
  let temp = 0;
  let indexed = 0;
  let indexedCpuMs: number | null = null;
  if (target.cluster) {
    const ceilings = await PgCeilings.open(await target.cluster.createDatabase());
    const ids = new Map<string, number>();
    for (const d of drains) temp += await ceilings.temp(seriesRows(d, ids));
    for (const d of drains) indexed += await ceilings.indexed(seriesRows(d, ids));
    await ceilings.close();
  } else {
    const ceilings = new SqliteCeilings(join(target.dir, 'ceiling.db'));
    for (const d of drains) temp += ceilings.temp(d);
    indexedCpuMs = 0;
    for (const d of drains) {
      indexed += ceilings.indexed(d);
      indexedCpuMs += ceilings.lastCpuMs;
    }
    ceilings.close();
  }
  return {
    temp: rows / (temp / 1000),
    indexed: rows / (indexed / 1000),
    indexedCpuUsPerRow: indexedCpuMs === null ? null : (indexedCpuMs * 1000) / rows,
  };
}
