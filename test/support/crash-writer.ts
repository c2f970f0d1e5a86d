/**
 * Child process for the crash-recovery test: commits a base set of candles, then starts a large
 * transaction with a tiny page cache and dies by SIGKILL mid-transaction. SQLite spills modified
 * pages before COMMIT: in WAL mode (the store's default) into the log, as frames no commit record
 * covers; in PERSIST mode (files of older versions) into the database file, with their originals
 * in the rollback journal.
 * `relaxed` commits the base set as a drain of exchange copies (synchronous=NORMAL: no fsync).
 * Usage: node --import tsx test/support/crash-writer.ts <dbPath> <baseRows> <extraRows> <WAL|PERSIST> [relaxed]
 */
import { packCandles } from '../../src/domain/candle.js';
import { acquireDbOwnership } from '../../src/main/store/db-owner.js';
import { SqliteCandleStore, type JournalMode } from '../../src/writer/sqlite-candle-store.js';

const [dbPath, baseRows, extraRows] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const journalMode = process.argv[5] as JournalMode;
await acquireDbOwnership(dbPath);
const store = new SqliteCandleStore(dbPath, { cacheKiB: 64, journalMode });
const rows = (n: number, seed: number) =>
  packCandles(Array.from({ length: n }, (_, i) => ({ candle_time: (i + 1) * 60, open: seed, high: seed + 1, low: seed - 1, close: seed, volume: seed })));
if (process.argv[6] === 'relaxed') {
  const all = rows(baseRows, 1);
  store.writeDrain([{ seriesId: 'binance:futures:BTC/USDT:1m', all, published: new Float64Array(0), silent: all }], { durable: false });
} else {
  store.begin();
  store.upsert('binance:futures:BTC/USDT:1m', rows(baseRows, 1));
  store.commit();
}
process.stdout.write('committed\n');
store.begin();
store.upsert('binance:futures:BTC/USDT:1m', rows(baseRows, 2)); // rewrites every committed row
store.upsert('binance:spot:ETH/USDT:1m', rows(extraRows, 3));
process.stdout.write('dying\n');
process.kill(process.pid, 'SIGKILL');
