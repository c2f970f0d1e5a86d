import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCandleStore } from '../../src/writer/sqlite-candle-store.js';
import { http } from '../support/gateway-harness.js';
import { GatewayProcess, runCliToExit } from '../support/gateway-process.js';
import { mountTmpfs, tmpfsUnavailableReason, type Tmpfs } from '../support/tmpfs.js';
import { sleep, waitFor, waitForAsync } from '../support/wait.js';
import { AckedWriters } from './support/acked-writes.js';
import { gatewayEnv } from './support/chaos-gateway.js';
import { report, sized } from './support/chaos-run.js';

/**
 * Probe 5: storage faults on a small tmpfs of our own (real ENOSPC, EROFS; no fault-injection
 * seam), the real gateway process, HTTP writers at a steady rate keeping books of what was
 * answered 200. Disk full while running: writes answer 5xx with a stable code (never hang),
 * /readyz says 503 with the cause, and when space comes back the gateway recovers by itself.
 * Read-only: the kernel refuses to remount a file system read-only while a process holds a file
 * on it open for writing (the gateway always does), so the probe kills the gateway -9, remounts
 * read-only, and a start must fail with one line naming EROFS; once writable again, a start
 * recovers. Not a database: the file replaced by junk is refused the same way, and left as it
 * was. Nothing acknowledged is lost, and the file passes integrity_check.
 */
const FULL_ROUNDS = sized(3, 1);
const WRITERS = 2;

const noTmpfs = tmpfsUnavailableReason();
if (noTmpfs) console.warn(`[skip] chaos storage faults: ${noTmpfs}`);

describe.skipIf(noTmpfs !== null)('probe: storage faults on a small tmpfs', () => {
  let fs: Tmpfs;
  const procs: GatewayProcess[] = [];
  afterAll(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    fs?.unmount();
  });

  it('disk full, read-only file system, not a database: 5xx and readyz 503 while failing, self-recovery, 0 acknowledged lost', async () => {
    fs = mountTmpfs(32 * 1024);
    const dbPath = join(fs.dir, 'market.db');
    const env = gatewayEnv(dbPath, { TRADE_CANVAS_WRITER_MAX_PENDING_CANDLES: '20000' });
    const start = async () => {
      const gw = await GatewayProcess.start(env, 60_000);
      procs.push(gw);
      return gw;
    };
    // 2 writers × 50 candles every ~20 ms: ~5,000 candles/s, a few MB over the probe.
    const writers = new AckedWriters(WRITERS, 50, 20);
    const statuses: number[] = [];
    const progressed = async (by: number) => {
      const from = writers.tally.acked;
      await waitFor(() => writers.tally.acked >= from + by, 'acknowledged writes', 20_000);
    };
    const readyz = async (gw: GatewayProcess) => (await http(gw.url, 'GET', '/readyz')).body as { status: string; reasons?: string[] };

    let gw = await start();
    writers.start(gw.url, (status) => statuses.push(status));
    await progressed(2000);
    for (let round = 1; round <= FULL_ROUNDS; round++) {
      const seen = statuses.length;
      fs.fill();
      let reason = '';
      await waitForAsync(
        async () => {
          const r = await readyz(gw);
          reason = r.reasons?.join('; ') ?? '';
          return r.status === 'not_ready';
        },
        '/readyz to say not_ready',
        20_000,
      );
      await waitFor(() => statuses.slice(seen).some((s) => s !== 200), 'a refused write', 20_000);
      // Let clients keep retrying against the full disk for a while.
      await sleep(1000);
      const failing = statuses.slice(seen);
      const t0 = performance.now();
      fs.free();
      await waitForAsync(async () => (await readyz(gw)).status === 'ready', '/readyz to recover', 30_000);
      const recoveryMs = performance.now() - t0;
      await progressed(1000);
      const byStatus: Record<string, number> = {};
      for (const s of failing) byStatus[s] = (byStatus[s] ?? 0) + 1;
      report('storage-faults', `disk full ${round}/${FULL_ROUNDS}`, {
        readyz_reason: reason,
        answers_while_full: failing.length,
        statuses_while_full: JSON.stringify(byStatus),
        recovered_by_itself_ms: Math.round(recoveryMs),
      });
      expect(reason).toMatch(/ENOSPC/);
      expect(failing.every((s) => s === 200 || s === 500 || s === 503)).toBe(true);
    }

    // kill -9 at rate, then the file system goes read-only under the dead gateway.
    await gw.kill('SIGKILL');
    await writers.stop();
    fs.remountReadOnly();
    const readOnly = await runCliToExit(env, { timeoutMs: 60_000 });
    fs.remountReadWrite();
    gw = await start();
    const replayed = gw.logs.some((l) => l.includes('write-ahead log left by the previous owner'));
    writers.start(gw.url, (status) => statuses.push(status));
    await progressed(1000);
    await writers.stop();
    expect(await gw.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    report('storage-faults', 'read-only file system after kill -9', {
      exit_code: readOnly.code,
      stderr_lines: readOnly.stderr.length,
      stderr: readOnly.stderr[0] ?? '',
      recovered_after_rw: true,
      wal_recovered: replayed,
    });
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toHaveLength(1);
    expect(readOnly.stderr[0]).toContain(dbPath);
    expect(readOnly.stderr[0]).toMatch(/EROFS/);

    // Not a database: someone put another file in its place. Refused, left as it was; restored, fine.
    renameSync(dbPath, `${dbPath}.good`);
    const junk = Buffer.from('not an SQLite database\n'.repeat(500));
    writeFileSync(dbPath, junk);
    const notDb = await runCliToExit(env, { timeoutMs: 60_000 });
    const untouched = readFileSync(dbPath).equals(junk);
    renameSync(`${dbPath}.good`, dbPath);
    report('storage-faults', 'not a database', {
      exit_code: notDb.code,
      stderr_lines: notDb.stderr.length,
      stderr: notDb.stderr[0] ?? '',
      junk_untouched: untouched,
    });
    expect(notDb.code).not.toBe(0);
    expect(notDb.stderr).toHaveLength(1);
    expect(notDb.stderr[0]).toMatch(/not a database/);
    expect(untouched).toBe(true);

    gw = await start();
    expect(await gw.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    const store = new SqliteCandleStore(dbPath);
    const integrity = store.integrityCheck();
    store.close();
    const check = writers.verify(dbPath);
    report('storage-faults', 'all faults', {
      disk_full_rounds: FULL_ROUNDS,
      acked_candles: check.checked,
      lost: check.lost,
      wrong_values: check.wrong,
      integrity,
      refused_writes: writers.tally.refused,
    });
    expect(check.examples).toEqual([]);
    expect(integrity).toBe('ok');
  });
});
