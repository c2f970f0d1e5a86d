import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { candle, http, postClosed } from '../../support/gateway-harness.js';
import { GatewayProcess, runCliToExit } from '../../support/gateway-process.js';
import { pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { storedCandles } from '../../support/pg-query.js';

/** The gateway as a real process on PostgreSQL: kill -9, and start-up with the server down. */
const S = 'binance:futures:BTC/USDT:1m';
const skip = pgSkipReason();

describe.skipIf(skip !== null)('the gateway process on PostgreSQL', () => {
  const cluster = usePgCluster();
  const procs: GatewayProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'kline-gw-pgproc-'));
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill('SIGKILL');
    if (!cluster().running) await cluster().start();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const envFor = (url: string) => ({ TRADE_CANVAS_STORE: 'postgres', TRADE_CANVAS_PG_URL: url, TRADE_CANVAS_WHITELIST_PATH: join(dir, 'none.json') });
  const started = async (env: Record<string, string>) => {
    const gw = await GatewayProcess.start(env);
    procs.push(gw);
    return gw;
  };

  it('kill -9 right after candle_closed returned 200: the candle is in PostgreSQL, and served after a restart', async () => {
    const url = await cluster().createDatabase();
    const first = await started(envFor(url));
    expect((await postClosed(first.url, S, candle(60, 42))).status).toBe(200);
    expect((await first.kill('SIGKILL')).signal).toBe('SIGKILL');
    expect(await storedCandles(url, S)).toEqual([[60, 1, 2, 0.5, 42, 10]]);

    const second = await started(envFor(url));
    const read = await http(second.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}`);
    expect(read.body).toEqual({ series_id: S, server_head_time: 60, candles: [candle(60, 42)] });
  }, 60_000);

  it('PostgreSQL down at start-up: exit 1 with one line naming the server and the cause', async () => {
    const url = await cluster().createDatabase();
    await cluster().stop();
    const exit = await runCliToExit(envFor(url));
    expect(exit.code, exit.stdout.join('\n')).toBe(1);
    expect(exit.stderr).toEqual([expect.stringMatching(new RegExp(`^kline-gateway: cannot connect to PostgreSQL at ${url}: ECONNREFUSED`))]);
  }, 60_000);

  it('with TRADE_CANVAS_PG_CONNECT_WAIT_S, start-up waits for PostgreSQL and then serves', async () => {
    const url = await cluster().createDatabase();
    await cluster().stop();
    const gw = GatewayProcess.spawn({ ...envFor(url), TRADE_CANVAS_PG_CONNECT_WAIT_S: '60' });
    procs.push(gw);
    // Started only once the gateway said it is waiting: the wait is what this test is about.
    await expect.poll(() => gw.logs.some((l) => l.includes('"msg":"waiting for PostgreSQL"')), { timeout: 30_000 }).toBe(true);
    await cluster().start();
    await gw.listening(60_000);
    expect((await postClosed(gw.url, S, candle(120))).status).toBe(200);
    expect((await storedCandles(url, S)).map((r) => r[0])).toEqual([120]);
  }, 90_000);

  it('a bad PostgreSQL URL setting stops start-up naming the variable (exit 2)', async () => {
    const exit = await runCliToExit({ TRADE_CANVAS_STORE: 'postgres', TRADE_CANVAS_PG_URL: 'mysql://x/y' });
    expect(exit.code).toBe(2);
    expect(exit.stderr.join('\n')).toMatch(/TRADE_CANVAS_PG_URL: expected a postgres\/postgresql URL, got 'mysql:\/\/x\/y'/);
  }, 30_000);
});

if (skip) it.skip(`the gateway process on PostgreSQL — skipped, needs PostgreSQL: ${skip}`);
