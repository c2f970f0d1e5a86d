import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClosedBatchMessage } from '../../src/writer/contract.js';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { WriterCore } from '../../src/writer/writer-core.js';
import { packed } from '../support/candles.js';
import { useTempDir } from '../support/temp-dir.js';

const S = 'binance:spot:BTC/USDT:1m';

function batch(seq: number, from: number, n: number, refetchable: boolean): ClosedBatchMessage {
  const data = packed(Array.from({ length: n }, (_, i) => (from + i) * 60));
  return { t: 'closed', seq, series: [S], counts: [n], data, publish: false, ...(refetchable ? { refetchable: true } : {}) };
}

/**
 * Copies of the exchange's history (the backfill service's writes) commit without waiting for
 * the disk when a drain holds nothing else; every other drain syncs as configured. Observed where
 * the binding syncs: its VFS calls fs.fsyncSync.
 */
describe('drains of exchange copies', () => {
  const tempDir = useTempDir();
  let store: SqliteCandleStore | null = null;
  afterEach(() => {
    vi.restoreAllMocks();
    store?.close();
    store = null;
  });

  async function drained(writer: WriterCore, ...batches: ClosedBatchMessage[]): Promise<number> {
    const syncs = vi.spyOn(fs, 'fsyncSync');
    for (const b of batches) writer.accept('ingest-0', b);
    await writer.drain();
    const n = syncs.mock.calls.length;
    syncs.mockRestore();
    return n;
  }

  it('commit without an fsync alone; with any other batch in the drain, or after, the configured sync is back', async () => {
    store = new SqliteCandleStore(join(tempDir(), 'm.db')); // WAL, synchronous=FULL
    const writer = new WriterCore(store, { maxPendingCandles: 1_000_000, toMain: () => {}, toProducer: () => {}, idleMaintenanceDelayMs: 60_000 });
    expect(await drained(writer, batch(1, 1, 1000, false))).toBeGreaterThan(0); // the baseline: a durable drain syncs
    expect(await drained(writer, batch(2, 1001, 1000, true), batch(3, 2001, 500, true))).toBe(0);
    expect(await drained(writer, batch(4, 2501, 10, true), batch(5, 2511, 10, false))).toBeGreaterThan(0);
    expect(await drained(writer, batch(6, 2521, 10, false))).toBeGreaterThan(0);
    expect(store.count(S)).toBe(2530);
    await writer.close();
  });

  it('a store configured not to sync stays so (the relaxed drain does not raise it)', () => {
    store = new SqliteCandleStore(join(tempDir(), 'm.db'), { synchronous: 'OFF' });
    const syncs = vi.spyOn(fs, 'fsyncSync');
    const all = packed([60, 120]);
    store.writeDrain([{ seriesId: S, all, published: new Float64Array(0), silent: all }], { durable: false });
    store.writeDrain([{ seriesId: S, all: packed([180]), published: new Float64Array(0), silent: packed([180]) }]);
    expect(syncs).not.toHaveBeenCalled();
    expect(store.count(S)).toBe(3);
  });
});
