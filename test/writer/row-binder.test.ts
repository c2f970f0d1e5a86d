import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { useTempDir } from '../support/temp-dir.js';

const S = 'binance:spot:BTC/USDT:1m';

describe('upsert binding', () => {
  const tempDir = useTempDir();

  it('binds through the raw exports with the pinned node-sqlite3-wasm (else bulk imports lose ~10 %)', () => {
    const store = new SqliteCandleStore(join(tempDir(), 'a.db'));
    try {
      expect(store.fastBinding).toBe(true);
    } finally {
      store.close();
    }
  });

  it('stores exactly what the public run() path stores, edge values included', () => {
    // Whole-number prices (run() binds them as integers), tiny and huge doubles, a time past 2038
    // (int64), and enough rows for full and partial statements.
    const rows = 257;
    const packed = new Float64Array(rows * CANDLE_STRIDE);
    for (let i = 0; i < rows; i++) {
      packed.set([1_600_000_000 + 60 * i, 1 + i, 2.5e300, 5e-324, 0.1 + 0.2, i % 2 === 0 ? 0 : 1234567.891], i * CANDLE_STRIDE);
    }
    packed.set([4_102_444_800, 3, 4, 2, 3.5, 10], (rows - 1) * CANDLE_STRIDE);
    const read = (fastBinding: boolean) => {
      const store = new SqliteCandleStore(join(tempDir(), `${fastBinding}.db`), { fastBinding, rowsPerStatement: 100 });
      try {
        expect(store.fastBinding).toBe(fastBinding);
        store.begin();
        store.upsert(S, packed);
        store.commit();
        return store.after(S, 0, rows + 1);
      } finally {
        store.close();
      }
    };
    const fast = read(true);
    expect([...fast]).toEqual([...read(false)]);
    expect([...fast]).toEqual([...packed]);
  });
});
