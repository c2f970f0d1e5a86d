/**
 * The store under the writer's drain shapes, SQLite or PostgreSQL, next to the engine's ceilings
 * for the same rows measured in the same run (bench/lib/*-ceilings.ts): rows committed per second
 * through the real store's `writeDrain` (one transaction per drain, as the writer core calls it).
 *
 *   live 1    one new candle for each of SERIES series (a drain at low load)
 *   live 20   twenty new candles for each series (a drain under load)
 *   import    50,000 candles of a new series (a bulk history slice)
 *   overwrite the same 50,000 candles again with new values (a re-import: every row replaces one)
 *
 * Both tables are preloaded with SERIES × PRELOAD candles, interleaved as live ingest leaves them.
 * Rounds rotate the order of store and ceilings, so load from other processes hits all alike.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANDLE_STRIDE } from '../src/domain/candle.js';
import type { SeriesWrite } from '../src/writer/drain-plan.js';
import type { CandleStore } from '../src/writer/candle-store.js';
import { PgCandleStore } from '../src/writer/pg/pg-candle-store.js';
import { SqliteCandleStore } from '../src/writer/sqlite-candle-store.js';
import { benchPostgres } from './lib/bench-pg.js';
import { drainShapes, preloadWrites, seriesRows, type DrainShape } from './lib/drain-shapes.js';
import { PgCeilings } from './lib/pg-ceilings.js';
import { percentile, report, type Row } from './lib/report.js';
import { SqliteCeilings } from './lib/sqlite-ceilings.js';

interface Ceilings {
  temp(writes: readonly SeriesWrite[]): Promise<number> | number;
  indexed(writes: readonly SeriesWrite[]): Promise<number> | number;
  close(): Promise<void> | void;
}

interface Opened {
  readonly store: CandleStore;
  readonly ceilings: Ceilings;
  bytesPerRow(rows: number): Promise<number>;
  close(): Promise<void>;
}

async function openSqlite(dir: string): Promise<Opened> {
  const path = join(dir, 'drains.db');
  const store = new SqliteCandleStore(path);
  const ceilings = new SqliteCeilings(join(dir, 'ceiling.db'));
  return {
    store,
    ceilings,
    bytesPerRow: async (rows) => {
      store.checkpoint(); // the rows since the last checkpoint are only in the log
      return statSync(path).size / rows;
    },
    close: async () => {
      store.close();
      ceilings.close();
    },
  };
}

async function openPostgres(): Promise<Opened> {
  const cluster = await benchPostgres();
  const url = await cluster.createDatabase('bench');
  const store = await PgCandleStore.open({ url, poolSize: 2, statementTimeoutMs: 0, connectWaitMs: 0 });
  const pg = await PgCeilings.open(url);
  // The ceilings take the rows with dictionary ids, as the store writes them.
  const ids = new Map<string, number>();
  const asRows = (writes: readonly SeriesWrite[]) => seriesRows(writes, ids);
  return {
    store,
    ceilings: { temp: (w) => pg.temp(asRows(w)), indexed: (w) => pg.indexed(asRows(w)), close: () => pg.close() },
    bytesPerRow: async (rows) => Number(await cluster.psql("SELECT pg_total_relation_size('candles')", 'bench')) / rows,
    close: async () => {
      await store.close();
      await pg.close();
      await cluster.destroy();
    },
  };
}

async function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function runDrainBench(kind: 'sqlite' | 'postgres', quick: boolean): Promise<void> {
  const series = quick ? 100 : 1000;
  const preload = quick ? 100 : 2000;
  const roundsOf = (shape: DrainShape) => (quick ? 1 : shape.rounds);
  const dir = mkdtempSync(join(tmpdir(), `kline-bench-drains-${kind}-`));
  const opened = kind === 'sqlite' ? await openSqlite(dir) : await openPostgres();
  try {
    const { store, ceilings } = opened;
    let stored = 0;
    for (const slice of preloadWrites(series, preload)) {
      await store.writeDrain(slice);
      store.maintain?.(true);
      await ceilings.indexed(slice);
      stored += slice.reduce((n, w) => n + w.all.length / CANDLE_STRIDE, 0);
    }
    const shapes = drainShapes(series);
    const times = new Map<DrainShape, { store: number[]; temp: number[]; indexed: number[] }>(shapes.map((s) => [s, { store: [], temp: [], indexed: [] }]));
    const rounds = Math.max(...shapes.map(roundsOf));
    for (let round = 0; round < rounds; round++) {
      for (const shape of shapes.filter((s) => round < roundsOf(s))) {
        const writes = shape.writes(round);
        const t = times.get(shape)!;
        const steps: Array<() => Promise<void>> = [
          // The writer checks its busy checkpoint bound after every drain: part of a drain's cost.
          async () => void t.store.push(await timed(async () => (await store.writeDrain(writes), store.maintain?.(true)))),
          async () => void t.temp.push(await ceilings.temp(writes)),
          async () => void (shape.fresh && t.indexed.push(await ceilings.indexed(writes))),
        ];
        for (let k = 0; k < steps.length; k++) await steps[(k + round) % steps.length]!();
        stored += shape.fresh ? shape.rows : 0;
      }
    }
    const rate = (rows: number, ms: number[]) => (ms.length === 0 ? NaN : Math.round(rows / (median(ms) / 1000)));
    const rows: Row[] = shapes.map((shape) => {
      const t = times.get(shape)!;
      const storeRate = rate(shape.rows, t.store);
      const temp = rate(shape.rows, t.temp);
      const indexed = rate(shape.rows, t.indexed);
      return {
        shape: shape.name,
        'rows/txn': shape.rows,
        'store rows/s': storeRate,
        best: Math.round(shape.rows / (Math.min(...t.store) / 1000)),
        'txn ms p50': median(t.store),
        'ceiling: unindexed temp': temp,
        'ceiling: indexed table': Number.isNaN(indexed) ? '—' : indexed,
        '÷ temp': storeRate / temp,
        '÷ indexed': Number.isNaN(indexed) ? '—' : storeRate / indexed,
      };
    });
    const reads: number[] = [];
    const readSeries = drainShapes(series)[0]!.writes(0)[0]!.seriesId;
    for (let r = 0; r < (quick ? 20 : 200); r++) reads.push(await timed(() => store.tail(readSeries, 2000)));
    const ceilingWords =
      kind === 'sqlite'
        ? 'INSERT … SELECT of the same rows from a TEMP table into an unindexed TEMP table / into a table like candles (same binding and pragmas)'
        : 'binary COPY of the same rows (same driver, encoding timed) into an unindexed TEMP table / into a logged table defined like candles, preloaded alike';
    report(
      `store-drains-${kind}`,
      `Drains through the ${kind} store vs the engine's ceilings (${series} series, ${stored.toLocaleString('en-US')} rows stored, medians of ${shapes.map(roundsOf).join('/')} rounds)`,
      rows,
      [
        `ceilings: ${ceilingWords}`,
        `tail(2000) of an interleaved series: p50 ${percentile(
          [...reads].sort((a, b) => a - b),
          50,
        ).toFixed(2)} ms; size ${(await opened.bytesPerRow(stored)).toFixed(0)} bytes/row`,
      ],
    );
  } finally {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}
