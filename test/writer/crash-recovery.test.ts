import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { candleAt } from '../../src/domain/candle.js';
import { acquireDbOwnership, lockDirOf, ownerPathOf } from '../../src/main/store/db-owner.js';
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

/** A pid that certainly belongs to no running process: a child that already exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout as unknown as number;
}

describe('database ownership and crash recovery', () => {
  const tempDir = useTempDir();

  it('refuses a second owner while the first is alive, and allows it after release', () => {
    const db = join(tempDir(), 'market.db');
    const first = acquireDbOwnership(db);
    expect(() => acquireDbOwnership(db)).toThrowError(/in use by another kline-gateway process \(pid \d+/);
    first.release();
    acquireDbOwnership(db).release();
  });

  it('refuses a lock directory that no gateway owns, saying how to fix it', () => {
    const db = join(tempDir(), 'market.db');
    mkdirSync(lockDirOf(db));
    expect(() => acquireDbOwnership(db)).toThrowError(/no kline-gateway owns it.*remove the directory/);
    expect(existsSync(ownerPathOf(db))).toBe(false);
  });

  it('takes over from a dead owner and removes its stale lock', () => {
    const db = join(tempDir(), 'market.db');
    writeFileSync(ownerPathOf(db), JSON.stringify({ pid: Number(deadPid()), startTicks: null, bootId: null, since: 'then' }));
    mkdirSync(lockDirOf(db));
    const owner = acquireDbOwnership(db);
    expect(owner.staleOwnerPid).toBeGreaterThan(0);
    expect(owner.recovered.lockRemoved).toBe(true);
    expect(existsSync(lockDirOf(db))).toBe(false);
    owner.release();
  });

  it('after kill -9 mid-transaction: rolls back the hot journal, database intact with only committed rows', async () => {
    const db = join(tempDir(), 'market.db');
    const { signal, out } = await runCrashWriter(db, 20_000, 20_000);
    expect(signal).toBe('SIGKILL');
    expect(out).toContain('dying');
    // The scenario must really leave a stale lock and a hot journal, or this test proves nothing.
    expect(existsSync(lockDirOf(db))).toBe(true);
    expect(statSync(journalPathOf(db)).size).toBeGreaterThan(4096);

    const owner = acquireDbOwnership(db);
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
      owner.release();
    }
  }, 60_000);
});
