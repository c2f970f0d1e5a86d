import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { withDbCopy } from '../support/db-file.js';
import { http } from '../support/gateway-harness.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { exchangeBars, rowOf, type Row } from '../support/live-ingest.js';
import { waitForAsync } from '../support/wait.js';

/**
 * The command line (`kline-gateway serve`, what `npm start` runs) as its own OS process, with a
 * whitelist file and the TRADE_CANVAS_BINANCE_*_URL settings pointed at a fake exchange started
 * the way `npm run fake-binance` starts it: the whitelisted series are ingested from start-up,
 * and SIGTERM flushes them before exit 0.
 */
const WHITELIST = ['binance:futures:BTC/USDT:1m', 'binance:spot:ETH/USDT:1m'];

describe('npm start with a whitelist against the fake exchange', () => {
  let fake: FakeBinance;
  let dir: string;
  let gw: GatewayProcess | undefined;

  beforeAll(async () => {
    fake = await FakeBinance.start({ barMs: 800, tickMs: 100 });
    dir = mkdtempSync(join(tmpdir(), 'kline-gw-cli-ingest-'));
    writeFileSync(join(dir, 'whitelist.json'), JSON.stringify({ series_ids: WHITELIST }));
  });
  afterAll(async () => {
    if (gw) await gw.kill('SIGKILL');
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ingests the whitelisted series from start-up and stops gracefully', async () => {
    gw = await GatewayProcess.start({
      TRADE_CANVAS_DB_PATH: join(dir, 'market.db'),
      TRADE_CANVAS_WHITELIST_PATH: join(dir, 'whitelist.json'),
      TRADE_CANVAS_ENABLE_WHITELIST_INGEST: '1',
      // Tail coverage off: the store must hold exactly what the job ingested (coverage: tail-coverage*.test.ts).
      TRADE_CANVAS_ENABLE_MARKET_TAIL_COVERAGE: '0',
      TRADE_CANVAS_ENABLE_DEBUG_API: '1',
      TRADE_CANVAS_INGEST_WORKERS: '2',
      TRADE_CANVAS_BINANCE_SPOT_WS_URL: fake.wsUrl('spot'),
      TRADE_CANVAS_BINANCE_FUTURES_WS_URL: fake.wsUrl('futures'),
      TRADE_CANVAS_BINANCE_SPOT_REST_URL: fake.restUrl(),
      TRADE_CANVAS_BINANCE_FUTURES_REST_URL: fake.restUrl(),
    });
    const url = gw.url;
    const read = async (s: string): Promise<Row[]> =>
      (await http(url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(s)}&since=0&limit=5000`)).body.candles.map(rowOf);
    await waitForAsync(
      async () => (await Promise.all(WHITELIST.map(read))).every((rows) => rows.length >= 3),
      'three stored closes per whitelisted series',
      30_000,
    );

    for (const s of WHITELIST) {
      const rows = await read(s);
      const bars = new Map(exchangeBars(fake, s).map((r) => [r[0], r]));
      for (const r of rows) expect(r).toEqual(bars.get(r[0]));
    }
    const state = (await http(url, 'GET', '/api/market/debug/ingest_state')).body;
    expect(state.jobs.map((j: any) => [j.series_id, j.source, j.running])).toEqual(WHITELIST.map((s) => [s, 'whitelist', true]));
    expect(state.workers.map((w: any) => w.alive)).toEqual([true, true]);
    expect((await http(url, 'GET', '/readyz')).status).toBe(200);
    expect((await http(url, 'GET', '/metrics')).text).toContain(`kline_gateway_ingest_closed_total{series_id="${WHITELIST[0]}"}`);

    const exit = await gw.kill('SIGTERM');
    const logs = gw.logs;
    gw = undefined;
    expect(exit).toEqual({ code: 0, signal: null });
    const msgs = logs.flatMap((l) => {
      try {
        return [JSON.parse(l) as { msg: string; component: string; seriesId?: string }];
      } catch {
        return [];
      }
    });
    // The worker threads' logs are the process's too.
    expect(
      msgs
        .filter((m) => m.component === 'ingest' && m.msg === 'series started')
        .map((m) => m.seriesId)
        .sort(),
    ).toEqual([...WHITELIST].sort());
    const order = ['stopping ingest jobs (flushing their batches)', 'writer: committing everything accepted', 'stopped'].map((m) =>
      msgs.findIndex((x) => x.msg === m),
    );
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!))).toBe(true);

    // After the stop, the file holds a gap-free run of the exchange's bars per series.
    withDbCopy(join(dir, 'market.db'), (store) => {
      for (const s of WHITELIST) {
        const data = store.between(s, 0, Number.MAX_SAFE_INTEGER, 10_000);
        const times = Array.from({ length: data.length / 6 }, (_, i) => data[i * 6]!);
        expect(times.length).toBeGreaterThanOrEqual(3);
        expect(times).toEqual(
          exchangeBars(fake, s)
            .map((r) => r[0])
            .filter((t) => t >= times[0]! && t <= times.at(-1)!),
        );
      }
    });
  }, 90_000);
});
