import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClosedBatchMessage } from '../../src/writer/contract.js';
import { SqliteCandleStore, type StoreOptions } from '../../src/writer/sqlite-candle-store.js';
import { WriterCore } from '../../src/writer/writer-core.js';
import { packed } from '../support/candles.js';
import { useTempDir } from '../support/temp-dir.js';

const S = 'binance:futures:BTC/USDT:1m';
/** Small bounds so a few thousand rows cross them (each row is ~40 bytes in a 4 KiB page). */
const BOUNDS = { idle: 256 * 1024, busy: 2 * 1024 * 1024 };

function times(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (from + i) * 60);
}

function batch(seq: number, from: number, n: number): ClosedBatchMessage {
  return { t: 'closed', seq, series: [S], counts: [n], data: packed(times(from, n)), publish: true };
}

describe('write-ahead log checkpoints between drains', () => {
  const tempDir = useTempDir();
  let store: SqliteCandleStore | null = null;
  afterEach(() => store?.close());

  function open(options: StoreOptions = {}): { store: SqliteCandleStore; db: string } {
    const db = join(tempDir(), 'm.db');
    store = new SqliteCandleStore(db, { walCheckpointBytes: BOUNDS, ...options });
    return { store, db };
  }
  const walBytes = (db: string) => statSync(`${db}-wal`).size;

  it('commits go to the log; a checkpoint is due at the idle bound with nothing queued, at the busy bound otherwise', () => {
    const { store, db } = open();
    expect(store.journalMode).toBe('WAL');
    store.writeDrain([{ seriesId: S, all: packed(times(1, 100)) } as never]);
    expect(walBytes(db)).toBeGreaterThan(0);
    expect(store.maintain(false)).toBeNull(); // below the idle bound
    let next = 101;
    while (walBytes(db) < BOUNDS.idle) {
      store.writeDrain([{ seriesId: S, all: packed(times(next, 2_000)) } as never]);
      next += 2_000;
    }
    const logged = walBytes(db);
    expect(logged).toBeLessThan(BOUNDS.busy);
    expect(store.maintain(true)).toBeNull(); // more queued: waits for the busy bound
    // Reads left on the cached statements must not block the checkpoint (the binding's `get` did).
    expect(store.head(S)).toBe((next - 1) * 60);
    expect(store.count(S)).toBe(next - 1);
    expect(store.maintain(false)).toBe(logged);
    expect(walBytes(db)).toBe(0);
    expect(store.count(S)).toBe(next - 1);

    while (walBytes(db) < BOUNDS.busy) {
      store.writeDrain([{ seriesId: S, all: packed(times(next, 5_000), 2) } as never]);
      next += 5_000;
    }
    expect(store.maintain(true)).toBeGreaterThanOrEqual(BOUNDS.busy);
    expect(walBytes(db)).toBe(0);
  });

  it('a clean close folds the log into the file and removes it', () => {
    const { store: s, db } = open();
    s.writeDrain([{ seriesId: S, all: packed(times(1, 3_000)) } as never]);
    s.close();
    expect(existsSync(`${db}-wal`)).toBe(false);
    store = new SqliteCandleStore(db, { journalMode: 'PERSIST' }); // reads the file alone
    expect(store.count(S)).toBe(3_000);
  });

  it('the rollback journal mode still works (older files, comparisons): no log, no checkpoint', () => {
    const { store, db } = open({ journalMode: 'PERSIST' });
    store.writeDrain([{ seriesId: S, all: packed(times(1, 20_000)) } as never]);
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(store.maintain(false)).toBeNull();
  });

  it('the writer checkpoints once it has idled for a moment, never while batches wait, and counts it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { store, db } = open();
      const writer = new WriterCore(store, { maxPendingCandles: 1_000_000, toMain: () => {}, toProducer: () => {}, idleMaintenanceDelayMs: 100 });
      writer.accept('ingest-0', batch(1, 1, 12_000));
      await writer.drain();
      expect(walBytes(db)).toBeGreaterThan(BOUNDS.idle);
      vi.advanceTimersByTime(60);
      writer.accept('ingest-0', batch(2, 12_001, 10));
      await writer.drain(); // a drain 60 ms later starts the idle wait again
      vi.advanceTimersByTime(60);
      expect(writer.getStats()).toMatchObject({ checkpoints: 0, commits: 2 });
      writer.accept('ingest-0', batch(3, 12_011, 10)); // queued when the idle check comes: it stands back
      vi.advanceTimersByTime(40);
      expect(writer.getStats().checkpoints).toBe(0);
      await writer.drain();
      vi.advanceTimersByTime(100); // idle for the whole delay now
      expect(writer.getStats()).toMatchObject({ checkpoints: 1, checkpointFailures: 0, commits: 3 });
      expect(walBytes(db)).toBe(0);
      expect(store.count(S)).toBe(12_020);
      await writer.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('past the busy bound the writer checkpoints right after a drain, without waiting to idle', async () => {
    const { store, db } = open();
    const writer = new WriterCore(store, { maxPendingCandles: 1_000_000, toMain: () => {}, toProducer: () => {}, idleMaintenanceDelayMs: 60_000 });
    let next = 1;
    let seq = 1;
    while (writer.getStats().checkpoints === 0) {
      writer.accept('ingest-0', batch(seq++, next, 10_000));
      next += 10_000;
      await writer.drain();
      expect(next).toBeLessThan(200_000); // the busy bound (2 MiB) is crossed long before
    }
    expect(walBytes(db)).toBe(0);
    expect(store.count(S)).toBe(next - 1);
    await writer.close();
  });
});
