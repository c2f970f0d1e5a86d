import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { http } from '../support/gateway-harness.js';
import { GatewayProcess, runCliToExit, type CliExit } from '../support/gateway-process.js';
import { packed } from '../support/candles.js';
import { mountTmpfs, tmpfsUnavailableReason, type Tmpfs } from '../support/tmpfs.js';

/**
 * Issue 15, defect 1: a database the gateway cannot use is a fatal start-up error. The real CLI
 * process must exit non-zero with ONE line on stderr naming the file and the cause, and leave
 * nothing behind (no `<db>.owner`, no `<db>.lock`, no files it created). Before the fix the
 * writer's reason was lost when its thread threw, `whenReady()` never settled and the process
 * exited 0 with the owner file left.
 */
const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kline-gw-startup-'));
  chmodSync(dir, 0o777); // reachable by the unprivileged user of the permission cases
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const envFor = (dbPath: string) => ({ TRADE_CANVAS_DB_PATH: dbPath, TRADE_CANVAS_WHITELIST_PATH: join(dbPath, '..', 'none.json') });

/** A real database with a few candles, written by the store itself. */
/** A valid store file, closed cleanly: the close folds the write-ahead log in and removes it. */
function realDatabase(dbPath: string): void {
  const store = new SqliteCandleStore(dbPath);
  store.begin();
  store.upsert('binance:spot:BTC/USDT:1m', packed(Array.from({ length: 500 }, (_, i) => (i + 1) * 60)));
  store.commit();
  store.close();
}

function expectCleanFailure(exit: CliExit, dbPath: string, cause: RegExp, before: string[], dir: string): void {
  expect(exit.code, exit.stdout.join('\n')).not.toBe(0);
  expect(exit.code).not.toBeNull();
  expect(exit.stderr).toHaveLength(1);
  expect(exit.stderr[0]).toContain(dbPath);
  expect(exit.stderr[0]).toMatch(cause);
  expect(readdirSync(dir).sort()).toEqual(before);
}

/** Root ignores file modes: the permission cases run the CLI as nobody then. */
const asUnprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

describe('fatal storage problems at start-up (real CLI process)', () => {
  it('a file that is not a database', async () => {
    const dir = freshDir();
    const dbPath = join(dir, 'market.db');
    const junk = Buffer.from('this is not an SQLite database, just some text that happens to be here\n'.repeat(200));
    writeFileSync(dbPath, junk);
    const exit = await runCliToExit(envFor(dbPath));
    expectCleanFailure(exit, dbPath, /not a database/, ['market.db'], dir);
    expect(readFileSync(dbPath).equals(junk)).toBe(true);
  }, 30_000);

  it('a truncated database', async () => {
    const dir = freshDir();
    const dbPath = join(dir, 'market.db');
    realDatabase(dbPath);
    truncateSync(dbPath, 5000);
    const exit = await runCliToExit(envFor(dbPath));
    expectCleanFailure(exit, dbPath, /malformed/, ['market.db'], dir);
  }, 30_000);

  it('a directory where the database should be', async () => {
    const dir = freshDir();
    const dbPath = join(dir, 'market.db');
    mkdirSync(dbPath);
    const exit = await runCliToExit(envFor(dbPath));
    expectCleanFailure(exit, dbPath, /EISDIR/, ['market.db'], dir);
  }, 30_000);

  it('an unreadable database file (EACCES)', async () => {
    const dir = freshDir();
    const dbPath = join(dir, 'market.db');
    realDatabase(dbPath);
    chmodSync(dbPath, 0o000);
    const exit = await runCliToExit(envFor(dbPath), asUnprivileged);
    expectCleanFailure(exit, dbPath, /EACCES/, ['market.db'], dir);
  }, 30_000);

  it('a read-only database file (EACCES)', async () => {
    const dir = freshDir();
    const dbPath = join(dir, 'market.db');
    realDatabase(dbPath);
    chmodSync(dbPath, 0o444);
    const exit = await runCliToExit(envFor(dbPath), asUnprivileged);
    expectCleanFailure(exit, dbPath, /EACCES/, ['market.db'], dir);
  }, 30_000);

  it('a database held by another running gateway; the owner keeps working', async () => {
    const dir = freshDir();
    const dbPath = join(dir, 'market.db');
    const owner = await GatewayProcess.start(envFor(dbPath));
    try {
      const before = readdirSync(dir).sort();
      const exit = await runCliToExit(envFor(dbPath));
      expectCleanFailure(exit, dbPath, new RegExp(`in use by another kline-gateway process \\(pid ${owner.pid}`), before, dir);
      expect((await http(owner.url, 'GET', '/readyz')).status).toBe(200);
    } finally {
      await owner.kill('SIGTERM');
    }
  }, 60_000);

  const noTmpfs = tmpfsUnavailableReason();
  if (noTmpfs) console.warn(`[skip] disk full and read-only file system at start-up: ${noTmpfs}`);
  describe.skipIf(noTmpfs !== null)('on a small tmpfs', () => {
    const mounts: Tmpfs[] = [];
    afterAll(() => mounts.forEach((m) => m.unmount()));

    it('a full disk (ENOSPC)', async () => {
      const fs = mountTmpfs(256);
      mounts.push(fs);
      fs.fill();
      const dbPath = join(fs.dir, 'market.db');
      const exit = await runCliToExit(envFor(dbPath));
      expectCleanFailure(exit, dbPath, /ENOSPC/, ['filler'], fs.dir);
    }, 30_000);

    it('a read-only file system (EROFS)', async () => {
      const fs = mountTmpfs(1024);
      mounts.push(fs);
      const dbPath = join(fs.dir, 'market.db');
      realDatabase(dbPath);
      fs.remountReadOnly();
      const exit = await runCliToExit(envFor(dbPath));
      expectCleanFailure(exit, dbPath, /EROFS/, ['market.db'], fs.dir);
    }, 30_000);
  });
});
