import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { http, postBatch, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { mountTmpfs, tmpfsUnavailableReason, type Tmpfs } from '../support/tmpfs.js';

/**
 * Commits that fail for a real reason: the database lives on a 1 MiB tmpfs that the test fills
 * (ENOSPC) and frees. Rewriting stored candles with new values makes SQLite grow its rollback
 * journal inside the statement, so the failure hits an upsert statement, not only COMMIT.
 * Issue 15, defects 5 (queue bound while commits fail), 6 (graceful stop after a failure) and 7
 * (readiness while the store cannot commit).
 */
const S = 'binance:futures:BTC/USDT:1m';
const SEED = 3000;
const candlesAt = (times: number[], close: number) => times.map((t) => ({ candle_time: t, open: 1, high: close + 1, low: 0.5, close, volume: 10 }));
const range = (from: number, count: number, step = 1) => Array.from({ length: count }, (_, i) => (from + i * step) * 60);
/** 37 stored candles spread over the whole series: each on its own page, so the journal must grow. */
const spread = range(1, 37, 80);

const noTmpfs = tmpfsUnavailableReason();
if (noTmpfs) console.warn(`[skip] commit failures on a full disk: ${noTmpfs}`);

describe.skipIf(noTmpfs !== null)('commits failing on a full disk, then recovering', () => {
  let fs: Tmpfs | null = null;
  let gw: TestGateway | null = null;
  afterEach(async () => {
    try {
      fs?.free();
    } catch {
      // not filled, or freed by the test
    }
    await gw?.dispose();
    gw = null;
    fs?.unmount();
    fs = null;
  });

  async function seeded(overrides: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
    fs = mountTmpfs(1024);
    const dir = join(fs.dir, 'gw');
    mkdirSync(dir);
    gw = await startTestGateway(overrides, {}, dir);
    for (let from = 1; from <= SEED; from += 500) expect((await postBatch(gw.url, S, candlesAt(range(from, 500), 1))).status).toBe(200);
    return gw;
  }
  const readyz = async (g: TestGateway) => (await http(g.url, 'GET', '/readyz')).body;

  it('/readyz says 503 with the reason while commits fail, and recovers by itself (defect 7)', async () => {
    const g = await seeded();
    expect(await readyz(g)).toEqual({ status: 'ready' });
    fs!.fill();
    const failed = await postBatch(g.url, S, candlesAt(spread, 7));
    expect(failed.status).toBe(500);
    const down = await readyz(g);
    expect(down.status).toBe('not_ready');
    expect(down.reasons).toEqual([expect.stringMatching(/^store cannot commit: .*ENOSPC/)]);
    // The operator's cause, not only SQLite's "disk I/O error".
    expect(failed.body).toMatchObject({ code: 'store_failed', message: expect.stringContaining('ENOSPC (no space left on device)') });

    fs!.free();
    // The writer retries the queued batch on its own (backoff ≤ 5 s); readiness follows the commit.
    await expect.poll(() => readyz(g), { timeout: 15_000, interval: 100 }).toEqual({ status: 'ready' });
    const read = await http(g.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}&since=${spread[0]! - 60}&limit=1`);
    expect(read.body.candles[0]).toMatchObject({ candle_time: spread[0], close: 7 });
  }, 60_000);

  it('answers 503 overloaded at the queue bound while commits fail and clients retry (defect 5)', async () => {
    const bound = 1000;
    const g = await seeded({ writerMaxPendingCandles: bound });
    fs!.fill();
    const answers: Array<[number, string]> = [];
    // A client that retries its 400-candle write after every 5xx.
    for (let attempt = 0; attempt < 8 && !answers.some(([s]) => s === 503); attempt++) {
      const r = await postBatch(g.url, S, candlesAt(range(1, 400, 7), 10 + attempt));
      answers.push([r.status, r.body.code]);
    }
    expect(answers[0]).toEqual([500, 'store_failed']);
    expect(answers.at(-1)).toEqual([503, 'overloaded']);
    const writer = await g.store.stats();
    expect(writer.pendingCandles).toBeLessThanOrEqual(bound);
    expect(writer.queueFullEvents).toBeGreaterThan(0);

    fs!.free();
    await expect.poll(async () => (await g.store.stats()).pendingCandles, { timeout: 15_000, interval: 100 }).toBe(0);
    expect((await postBatch(g.url, S, candlesAt(range(1, 400, 7), 99))).status).toBe(200);
  }, 60_000);
});

describe.skipIf(noTmpfs !== null)('graceful stop after a transient commit failure (defect 6, real CLI process)', () => {
  let fs: Tmpfs | null = null;
  afterEach(() => fs?.unmount());

  it('SIGTERM after disk full → freed → recovered: exit 0, WebSockets closed with 1001, owner file removed', async () => {
    fs = mountTmpfs(1024);
    const dbPath = join(fs.dir, 'market.db');
    const gw = await GatewayProcess.start({
      TRADE_CANVAS_DB_PATH: dbPath,
      TRADE_CANVAS_WHITELIST_PATH: join(fs.dir, 'none.json'),
      TRADE_CANVAS_ENABLE_DEV_API: 'true',
    });
    try {
      for (let from = 1; from <= SEED; from += 500) expect((await postBatch(gw.url, S, candlesAt(range(from, 500), 1))).status).toBe(200);
      const ws = await WsClient.connect(gw);
      fs.fill();
      // Fails inside the 37-row upsert statement (journal growth on a full disk).
      expect((await postBatch(gw.url, S, candlesAt(spread, 7))).status).toBe(500);
      // Queued behind it while the disk is still full: the retry after freeing writes both in one
      // drain of 42 rows, so the statement that failed is never run (or reset) again.
      const second = postBatch(gw.url, S, candlesAt(range(SEED + 1, 5), 8));
      await new Promise((r) => setTimeout(r, 50));
      fs.free();
      await second;
      await expect.poll(async () => (await http(gw.url, 'GET', '/readyz')).status, { timeout: 15_000, interval: 100 }).toBe(200);

      const exit = await gw.kill('SIGTERM');
      expect(exit, gw.logs.slice(-5).join('\n')).toEqual({ code: 0, signal: null });
      expect((await ws.closed()).code).toBe(1001);
      expect(existsSync(`${dbPath}.owner`)).toBe(false);
      expect(existsSync(`${dbPath}.lock`)).toBe(false);
      expect(gw.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    } finally {
      await gw.kill('SIGKILL');
    }
  }, 90_000);
});
