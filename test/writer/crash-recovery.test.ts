import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { candleAt } from '../../src/domain/candle.js';
import { acquireDbOwnership, lockDirOf } from '../../src/main/store/db-owner.js';
import { journalPathOf } from '../../src/main/store/hot-journal.js';
import { SqliteCandleStore, type JournalMode } from '../../src/writer/sqlite-candle-store.js';
import { useTempDir } from '../support/temp-dir.js';

const CRASH_WRITER = new URL('../support/crash-writer.ts', import.meta.url).pathname;
const BTC = 'binance:futures:BTC/USDT:1m';
const ETH = 'binance:spot:ETH/USDT:1m';

function runCrashWriter(
  dbPath: string,
  baseRows: number,
  extraRows: number,
  mode: JournalMode,
  base: 'durable' | 'relaxed',
): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, dbPath, String(baseRows), String(extraRows), mode, base], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (_code, signal) => resolve({ signal, out }));
  });
}

/** Opens the recovered file and checks it holds exactly the committed rows, with their values. */
function expectOnlyCommittedRows(db: string): void {
  const store = new SqliteCandleStore(db);
  try {
    expect(store.integrityCheck()).toBe('ok');
    expect(store.count(BTC)).toBe(20_000);
    expect(store.count(ETH)).toBe(0);
    expect(candleAt(store.tail(BTC, 1), 0).open).toBe(1); // the committed value, not the interrupted rewrite
  } finally {
    store.close();
  }
}

describe('crash recovery', () => {
  const tempDir = useTempDir();

  /** A database whose writer died by kill -9 in the middle of a transaction, its lock left behind. */
  async function crashedMidTransaction(mode: JournalMode, base: 'durable' | 'relaxed' = 'durable'): Promise<string> {
    const db = join(tempDir(), 'market.db');
    const { signal, out } = await runCrashWriter(db, 20_000, 20_000, mode, base);
    expect(signal).toBe('SIGKILL');
    expect(out).toContain('dying');
    expect(existsSync(lockDirOf(db))).toBe(true);
    return db;
  }

  it('after kill -9 mid-transaction (WAL): the log is recovered at open, only committed rows, nothing lost', async () => {
    const db = await crashedMidTransaction('WAL');
    // The scenario must really leave the committed rows only in the log, beside uncommitted frames
    // spilled from the interrupted transaction, or this test proves nothing: the database file
    // itself was never checkpointed (a few pages of schema), the log holds both.
    expect(statSync(db).size).toBeLessThan(64 * 1024);
    expect(statSync(`${db}-wal`).size).toBeGreaterThan(2 * 1024 * 1024);

    const owner = await acquireDbOwnership(db);
    try {
      expect(owner.recovered).toMatchObject({ journalReplayed: false, lockRemoved: true });
      expect(owner.recovered.walBytes).toBeGreaterThan(2 * 1024 * 1024);
      expectOnlyCommittedRows(db);
      // A clean close checkpointed the log into the file and removed it: the file alone is whole.
      expect(existsSync(`${db}-wal`)).toBe(false);
      expect(statSync(db).size).toBeGreaterThan(512 * 1024);
      expectOnlyCommittedRows(db);
    } finally {
      await owner.release();
    }
  }, 60_000);

  it('after kill -9: rows committed as exchange copies (no fsync at their commit) are there too', async () => {
    // A relaxed commit skips only the fsync: its frames are in the log (the OS holds them), so a
    // crash of the process, unlike one of the machine, loses nothing.
    const db = await crashedMidTransaction('WAL', 'relaxed');
    const owner = await acquireDbOwnership(db);
    try {
      expectOnlyCommittedRows(db);
    } finally {
      await owner.release();
    }
  }, 60_000);

  it('after kill -9 mid-transaction (a rollback-journal file of an older version): rolls back the hot journal, only committed rows', async () => {
    const db = await crashedMidTransaction('PERSIST');
    // The scenario must really leave a hot journal, or this test proves nothing.
    expect(statSync(journalPathOf(db)).size).toBeGreaterThan(4096);

    const owner = await acquireDbOwnership(db);
    try {
      expect(owner.recovered).toMatchObject({ journalReplayed: true, lockRemoved: true });
      expect(owner.recovered.pagesRestored).toBeGreaterThan(0);
      // Opened in the store's default mode (WAL) after the replay: the upgrade path of such a file.
      expectOnlyCommittedRows(db);
      expect(existsSync(journalPathOf(db))).toBe(false);
    } finally {
      await owner.release();
    }
  }, 60_000);
});
