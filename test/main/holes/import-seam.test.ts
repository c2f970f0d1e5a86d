import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InThreadStore } from '../../support/in-thread-store.js';
import { fillBehindImport } from '../../../src/main/holes/import-seam.js';
import { packed } from '../../support/candles.js';
import { useTempDir } from '../../support/temp-dir.js';

const S = 'binance:futures:BTC/USDT:1m';

describe('fillBehindImport', () => {
  const tempDir = useTempDir();
  let store: InThreadStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  const open = async () =>
    (store = await InThreadStore.open({ dbPath: join(tempDir(), 'market.db'), synchronous: 'OFF', rowsPerStatement: 100, maxPendingCandles: 100_000 }));
  const minutes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => (from + i) * 60);

  it('asks for the bars between the imported file and the first candle the job stored', async () => {
    const s = await open();
    await s.write([{ seriesId: S, data: packed([...minutes(100, 120), ...minutes(200, 205)]) }], { publish: false });
    const asked: [number, number | null][] = [];
    expect(await fillBehindImport(s, async (from, to) => void asked.push([from, to]), S, 120 * 60)).toEqual([121 * 60, 199 * 60]);
    expect(asked).toEqual([[121 * 60, 199 * 60]]);
  });

  it('asks for nothing when the file ends right before the job’s data, and up to the newest close when nothing follows it', async () => {
    const s = await open();
    await s.write([{ seriesId: S, data: packed(minutes(100, 110)) }], { publish: false });
    const asked: [number, number | null][] = [];
    const fill = async (from: number, to: number | null) => void asked.push([from, to]);
    expect(await fillBehindImport(s, fill, S, 99 * 60)).toBeNull();
    expect(await fillBehindImport(s, fill, S, 110 * 60)).toEqual([111 * 60, null]);
    expect(asked).toEqual([[111 * 60, null]]);
  });
});
