import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { packed } from '../support/candles.js';
import { useTempDir } from '../support/temp-dir.js';

const S = 'binance:spot:BTC/USDT:1m';

/**
 * Issue 15, defect 6: a cached statement's `finalize()` rethrows the last error that statement
 * ever hit. A statement that failed once (here a NOT NULL violation; in production a full disk)
 * and was never run again made close() throw, leaving the database open and its lock behind.
 */
describe('SqliteCandleStore.close', () => {
  const tempDir = useTempDir();

  it('closes cleanly after a statement failed earlier, releasing the database lock', () => {
    const dbPath = join(tempDir(), 'market.db');
    const store = new SqliteCandleStore(dbPath);
    store.begin();
    // NaN binds as NULL: the 1-row upsert statement fails and keeps that error.
    expect(() => store.upsert(S, new Float64Array([60, NaN, 1, 1, 1, 1]))).toThrow(/NOT NULL/);
    store.rollback();
    store.begin();
    store.upsert(S, packed([60, 120])); // another statement (2 rows) succeeds
    store.commit();
    expect(() => store.close()).not.toThrow();
    expect(existsSync(`${dbPath}.lock`)).toBe(false);
    const reopened = new SqliteCandleStore(dbPath);
    expect(reopened.count(S)).toBe(2);
    reopened.close();
  });
});
