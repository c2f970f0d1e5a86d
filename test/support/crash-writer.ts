/**
 * Child process for the crash-recovery test: commits a base set of candles, then starts a large
 * transaction with a tiny page cache (SQLite spills modified pages into the database file before
 * COMMIT, with their originals in the journal) and dies by SIGKILL mid-transaction.
 * Usage: node --import tsx test/support/crash-writer.ts <dbPath> <baseRows> <extraRows>
 */
import { packCandles } from '../../src/domain/candle.js';
import { acquireDbOwnership } from '../../src/main/store/db-owner.js';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';

const [dbPath, baseRows, extraRows] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
await acquireDbOwnership(dbPath);
const store = new SqliteCandleStore(dbPath, { cacheKiB: 64 });
const rows = (n: number, seed: number) =>
  packCandles(Array.from({ length: n }, (_, i) => ({ candle_time: (i + 1) * 60, open: seed, high: seed + 1, low: seed - 1, close: seed, volume: seed })));
store.begin();
store.upsert('binance:futures:BTC/USDT:1m', rows(baseRows, 1));
store.commit();
process.stdout.write('committed\n');
store.begin();
store.upsert('binance:futures:BTC/USDT:1m', rows(baseRows, 2)); // rewrites every committed row
store.upsert('binance:spot:ETH/USDT:1m', rows(extraRows, 3));
process.stdout.write('dying\n');
process.kill(process.pid, 'SIGKILL');
