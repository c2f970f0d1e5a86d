import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { candleAt } from '../../src/domain/candle.js';
import { acquireDbOwnership, lockDirOf } from '../../src/main/store/db-owner.js';
import { journalPathOf } from '../../src/main/store/hot-journal.js';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { useTempDir } from '../support/temp-dir.js';

const CRASH_WRITER = new URL('../support/crash-writer.ts', import.meta.url).pathname;

function runCrashWriter(dbPath: string, baseRows: number, extraRows: number): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, dbPath, String(baseRows), String(extraRows)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (_code, signal) => resolve({ signal, out }));
  });
}

describe('crash recovery', () => {
  const tempDir = useTempDir();

  it('after kill -9 mid-transaction: rolls back the hot journal, database intact with only committed rows', async () => {
    const db = join(tempDir(), 'market.db');
    const { signal, out } = await runCrashWriter(db, 20_000, 20_000);
    expect(signal).toBe('SIGKILL');
    expect(out).toContain('dying');
    // The scenario must really leave a stale lock and a hot journal, or this test proves nothing.
    expect(existsSync(lockDirOf(db))).toBe(true);
    expect(statSync(journalPathOf(db)).size).toBeGreaterThan(4096);

    const owner = await acquireDbOwnership(db);
    expect(owner.recovered).toMatchObject({ journalReplayed: true, lockRemoved: true });
    expect(owner.recovered.pagesRestored).toBeGreaterThan(0);
    const store = new SqliteCandleStore(db);
    try {
      expect(store.integrityCheck()).toBe('ok');
      expect(store.count('binance:futures:BTC/USDT:1m')).toBe(20_000);
      expect(store.count('binance:spot:ETH/USDT:1m')).toBe(0);
      const tail = store.tail('binance:futures:BTC/USDT:1m', 1);
      expect(candleAt(tail, 0).open).toBe(1); // the committed value, not the interrupted rewrite
    } finally {
      store.close();
      await owner.release();
    }
  }, 60_000);
});
