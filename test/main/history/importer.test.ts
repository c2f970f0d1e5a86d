import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../../src/domain/candle.js';
import { createDecodePool, type DecodePool } from '../../../src/main/history/decode-pool.js';
import { writeCandleFile, writeDatadir, type WrittenFixture } from '../../../tools/fixtures/fixture-writer.js';
import type { ImportProgress, ImportRunner } from '../../../src/decode/contract.js';
import { inThreadImportRunner } from '../../../src/decode/import-task.js';
import { HistoryImporter } from '../../../src/main/history/importer.js';
import { setLogLevel } from '../../../src/shared/log.js';
import type { CommittedMessage } from '../../../src/writer/contract.js';
import { acquireDbOwnership } from '../../../src/main/store/db-owner.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import type { MarketStore } from '../../../src/main/store/market-store.js';
import { WorkerStore } from '../../../src/main/store/worker-store.js';
import type { WriterSettings } from '../../../src/writer/contract.js';
import { tempDir } from '../../support/temp-dir.js';

const S = 'binance:futures:BTC/USDT:1m';
const dir = tempDir('importer');
let file: WrittenFixture;

beforeAll(async () => {
  setLogLevel('silent');
  // 120k rows: three bulk messages of 50k and a partial one, with holes.
  [file] = await writeDatadir({
    out: join(dir, 'data'),
    series: [S],
    count: 120_000,
    startTime: 1_600_000_020,
    gaps: [{ every: 40_000, bars: 5 }],
    formats: ['feather'],
  });
});

const settings = (name: string): WriterSettings => ({
  dbPath: join(dir, `${name}.db`),
  synchronous: 'FULL',
  rowsPerStatement: 100,
  maxPendingCandles: 1_000_000,
});

/** The same behaviour through the in-thread runner and the decode pool with the writer worker. */
function importerContract(
  name: string,
  open: (settings: WriterSettings) => Promise<{ store: MarketStore; runner: ImportRunner; close(): Promise<void> }>,
): void {
  describe(`import through ${name}`, () => {
    let n = 0;
    const withImporter = async <T>(fn: (importer: HistoryImporter, store: MarketStore) => Promise<T>): Promise<T> => {
      const opened = await open(settings(`${name}-${++n}`));
      try {
        return await fn(new HistoryImporter(opened.store, opened.runner), opened.store);
      } finally {
        await opened.close();
      }
    };

    it('commits every candle of the file as silent history and reports it; a second run changes nothing', async () => {
      await withImporter(async (importer, store) => {
        const commits: CommittedMessage[] = [];
        store.onCommitted((msg) => commits.push(msg));
        const progress: ImportProgress[] = [];
        const first = await importer.importFile({ seriesId: S, path: file.path }, { onProgress: (p) => progress.push(p) });
        expect(first).toMatchObject({
          seriesId: S,
          rowsRead: 120_000,
          rowsWritten: 120_000,
          gaps: 2,
          missingBars: 10,
          firstTime: file.candles[0],
          lastTime: file.candles[file.candles.length - CANDLE_STRIDE],
        });
        expect(first.reason).toBeUndefined();
        // Committed (and seen by this thread) before the import resolved, never published.
        expect(commits.map((c) => c.rows)).toEqual([50_000, 50_000, 20_000]);
        expect(commits.flatMap((c) => c.segments).every((s) => !s.publish)).toBe(true);
        expect(progress.at(-1)).toMatchObject({ rowsWritten: 120_000, fraction: 1 });
        const stored = await store.after(S, 0, 200_000);
        expect(Buffer.from(stored.data.buffer).equals(Buffer.from(file.candles.buffer))).toBe(true);

        const again = await importer.importFile({ seriesId: S, path: file.path });
        expect(again.rowsWritten).toBe(120_000);
        expect(await store.count()).toBe(120_000);
      });
    });

    it('imports only the tail when asked', async () => {
      await withImporter(async (importer, store) => {
        const result = await importer.importFile({ seriesId: S, path: file.path }, { tail: 2000 });
        expect(result).toMatchObject({ rowsWritten: 2000, lastTime: file.candles[file.candles.length - CANDLE_STRIDE] });
        expect(await store.count(S)).toBe(2000);
        expect((await store.tail(S, 1)).head).toBe(result.lastTime);
      });
    });

    it('reports a bad file with its reason and writes nothing', async () => {
      const empty = join(dir, 'data', 'EMPTY_USDT-1m.json');
      await writeCandleFile(empty, 'json', new Float64Array(0));
      await withImporter(async (importer, store) => {
        const result = await importer.importFile({ seriesId: 'binance:spot:EMPTY/USDT:1m', path: empty });
        expect(result).toMatchObject({ rowsRead: 0, rowsWritten: 0, lastTime: null, reason: { code: 'no_rows' } });
        expect(await store.count()).toBe(0);
      });
    });
  });
}

importerContract('the in-thread runner', async (s) => {
  const store = await InThreadStore.open(s);
  return { store, runner: inThreadImportRunner, close: () => store.close() };
});

let pool: DecodePool;
beforeAll(() => {
  pool = createDecodePool({ threads: 1 });
});
afterAll(() => pool.close());

importerContract('the decode pool and the writer worker', async (s) => {
  const ownership = await acquireDbOwnership(s.dbPath);
  const store = new WorkerStore(s);
  await store.whenReady();
  return {
    store,
    runner: pool,
    close: async () => {
      await store.close();
      await ownership.release();
    },
  };
});
