import { afterEach, describe, expect, it } from 'vitest';
import type { CommittedMessage, WriterSettings } from '../../../src/writer/contract.js';
import { packed, timesOf } from '../../support/candles.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import { captureLogs } from '../../support/log-capture.js';
import { pgSettings, pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { withPg } from '../../support/pg-query.js';

/**
 * The writer core on PostgreSQL when statements fail: the drain's batches stay queued and are
 * retried with backoff, the failure is logged with its reason, readiness says why meanwhile.
 */
const S = 'binance:futures:BTC/USDT:1m';
const skip = pgSkipReason();

describe.skipIf(skip !== null)('the writer on PostgreSQL under failing statements', () => {
  const cluster = usePgCluster();
  const stores: InThreadStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const open = async (url: string, statementTimeoutMs: number) => {
    const settings: WriterSettings = {
      store: 'postgres',
      pg: pgSettings(url, { statementTimeoutMs }),
      dbPath: '',
      synchronous: 'FULL',
      rowsPerStatement: 100,
      maxPendingCandles: 10_000,
    };
    const store = await InThreadStore.open(settings);
    stores.push(store);
    return store;
  };

  it('reads run beside a drain in flight; batches arriving meanwhile wait and go into the next drain together', async () => {
    const E = 'binance:spot:ETH/USDT:1m';
    const url = await cluster().createDatabase();
    const store = await open(url, 30_000);
    const commits: CommittedMessage[] = [];
    store.onCommitted((m) => commits.push(m));
    await store.write([{ seriesId: S, data: packed([60]) }], { publish: true });
    await withPg(url, async (locker) => {
      await locker.query('BEGIN; LOCK TABLE candles IN EXCLUSIVE MODE'); // blocks writes, not reads
      const first = store.write([{ seriesId: S, data: packed([120]) }], { publish: true });
      const writerWaits = async () =>
        (await locker.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'kline-gateway writer' AND wait_event_type = 'Lock'")).rowCount;
      await expect.poll(writerWaits, { timeout: 15_000 }).toBe(1);
      // The drain is stuck inside its transaction; a read still answers, from committed state.
      expect(timesOf((await store.tail(S, 10)).data)).toEqual([60]);
      const second = store.write([{ seriesId: S, data: packed([180]) }], { publish: true });
      const third = store.write([{ seriesId: E, data: packed([60]) }], { publish: true });
      await new Promise((r) => setImmediate(r));
      expect(commits).toHaveLength(1); // nothing overtook the drain in flight
      await locker.query('ROLLBACK');
      await Promise.all([first, second, third]);
    });
    // One transaction for the blocked drain, then ONE for everything that arrived meanwhile.
    expect(commits.map((c) => c.segments.map((s) => `${s.seriesId}@${timesOf(s.data).join(',')}`))).toEqual([
      [`${S}@60`],
      [`${S}@120`],
      [`${S}@180`, `${E}@60`], // sorted by series id
    ]);
  });

  it('a statement timeout is logged and the batch retried until it commits', async () => {
    const url = await cluster().createDatabase();
    const store = await open(url, 300);
    await store.write([{ seriesId: S, data: packed([60]) }], { publish: true });
    const logs = captureLogs('warn');
    await withPg(url, async (locker) => {
      await locker.query('BEGIN; LOCK TABLE candles IN EXCLUSIVE MODE');
      // An HTTP write hears about the failed commit (its client retries)…
      await expect(store.write([{ seriesId: S, data: packed([120]) }], { publish: true })).rejects.toMatchObject({
        code: 'store_failed',
        message: expect.stringMatching(/^commit failed: statement timeout \(TRADE_CANVAS_PG_STATEMENT_TIMEOUT_MS\)/),
      });
      expect(store.commitFailure).toMatch(/statement timeout/);
      await locker.query('ROLLBACK');
    });
    // …and the writer keeps the batch and commits it on its own once the lock is gone.
    await store.flush();
    expect(await store.count(S)).toBe(2);
    expect(store.commitFailure).toBeNull();
    // One line per failed attempt (the retry may run once more before the lock is gone).
    const failures = logs.filter((l) => l.msg === 'commit failed; batches kept for retry');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const line of failures) {
      expect(line).toMatchObject({
        level: 'error',
        component: 'writer',
        error: expect.objectContaining({ message: expect.stringContaining('statement timeout') }),
      });
    }
  });
});

if (skip) it.skip(`the writer on PostgreSQL under failing statements — skipped, needs PostgreSQL: ${skip}`);
