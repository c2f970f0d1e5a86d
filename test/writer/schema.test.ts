import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteCandleStore, openRawSqlite } from '../../src/writer/sqlite-candle-store.js';
import { useTempDir } from '../support/temp-dir.js';

// A database written the way trade_canvas writes it, to prove we adopt it unchanged. The binding is
// loaded here only to fabricate that foreign file.

describe('schema', () => {
  const tempDir = useTempDir();

  it('creates a versioned schema on a new file', () => {
    const path = join(tempDir(), 'new.db');
    const store = new SqliteCandleStore(path);
    expect(store.count()).toBe(0);
    store.close();
  });

  it('adopts an existing trade_canvas candles table with its rows', () => {
    const path = join(tempDir(), 'legacy.db');
    const legacy = openRawSqlite(path);
    legacy.exec(
      'CREATE TABLE candles (series_id TEXT NOT NULL, candle_time INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL, volume REAL NOT NULL, PRIMARY KEY (series_id, candle_time))',
    );
    legacy.run("INSERT INTO candles VALUES ('binance:futures:BTC/USDT:1m', 100, 1, 2, 0.5, 1.5, 10)");
    legacy.close();
    const store = new SqliteCandleStore(path);
    expect(store.head('binance:futures:BTC/USDT:1m')).toBe(100);
    store.begin();
    store.upsert('binance:futures:BTC/USDT:1m', new Float64Array([160, 1, 2, 0.5, 1.5, 10]));
    store.commit();
    expect(store.count()).toBe(2);
    store.close();
  });

  it('refuses a candles table that lacks contract columns', () => {
    const path = join(tempDir(), 'odd.db');
    const odd = openRawSqlite(path);
    odd.exec('CREATE TABLE candles (series_id TEXT, t INTEGER)');
    odd.close();
    expect(() => new SqliteCandleStore(path)).toThrowError(/lacks columns: candle_time/);
  });
});
