import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/main/config/settings.js';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { writeDatadir, type WrittenFixture } from '../../tools/fixtures/fixture-writer.js';
import { withDbCopy } from '../support/db-file.js';
import { candle, http, postClosed, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { captureLogs } from '../support/log-capture.js';
import { describeWithSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';
import { useTempDir } from '../support/temp-dir.js';

const S = 'binance:futures:BTC/USDT:1m';
const q = (id: string) => encodeURIComponent(id);
const times = (candles: Array<{ candle_time: number }>) => candles.map((c) => c.candle_time);
const lastTimeOf = (file: WrittenFixture) => file.candles[file.candles.length - CANDLE_STRIDE]!;

describe('freqtrade history bootstrap in the running gateway', () => {
  const tempDir = useTempDir('kline-history-it-');
  let gw: TestGateway | null = null;
  const clients: WsClient[] = [];
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await gw?.dispose();
    gw = null;
  });

  async function start(rows: number, overrides: Partial<Config> = {}) {
    const dir = tempDir();
    const datadir = join(dir, 'freqtrade');
    const [file] = await writeDatadir({ out: datadir, series: [S], count: rows, startTime: 1_700_000_040, formats: ['feather'] });
    gw = await startTestGateway({ historySource: 'freqtrade', freqtradeDatadir: datadir, ...overrides }, {}, join(dir, 'gw'));
    return { file: file!, gw };
  }

  it('seed 000 with bootstrap: the first read imports the file tail, then live ingest continues after it', async () => {
    const { file, gw } = await start(2100);
    expect(file.path.endsWith('futures/BTC_USDT_USDT-1m-futures.feather')).toBe(true);
    const last = lastTimeOf(file);
    expect(withDbCopy(gw.dbPath, (db) => db.count())).toBe(0);

    const tail = await http(gw.url, 'GET', `/api/market/candles?series_id=${q(S)}&limit=2000`);
    expect(tail.status).toBe(200);
    expect(tail.body.candles).toHaveLength(2000);
    expect(tail.body.server_head_time).toBe(last);
    expect(tail.body.candles[1999].candle_time).toBe(last);
    expect(tail.body.candles[0].candle_time).toBe(file.candles[100 * CANDLE_STRIDE]);
    expect(withDbCopy(gw.dbPath, (db) => db.count(S))).toBe(2000);

    const ws = await WsClient.connect(gw);
    clients.push(ws);
    ws.send({ type: 'subscribe', series_id: S, since: last });
    await ws.expectSilence(200);
    const next = candle(last + 60);
    expect((await postClosed(gw.url, S, next)).status).toBe(200);
    expect(await ws.next()).toEqual([{ type: 'candle_closed', series_id: S, candle: next }]);
    const since = await http(gw.url, 'GET', `/api/market/candles?series_id=${q(S)}&since=${last}`);
    expect(times(since.body.candles)).toEqual([last + 60]);
    expect(withDbCopy(gw.dbPath, (db) => db.count(S))).toBe(2001);
  });

  it('bootstraps on WebSocket subscribe: the catch-up carries the imported history, which was never published live', async () => {
    const { file, gw } = await start(300);
    const ws = await WsClient.connect(gw);
    clients.push(ws);
    ws.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    const [batch] = await ws.next();
    expect(batch.type).toBe('candles_batch');
    expect(batch.candles).toHaveLength(300);
    expect(batch.candles.at(-1).candle_time).toBe(lastTimeOf(file));
    await ws.expectSilence(200); // no candle_closed frames for history
  });

  it('exposes ensure() for the ingest supervisor: one shared run, later calls change nothing', async () => {
    const { gw } = await start(2100);
    const seen: number[] = [];
    gw.history!.onBootstrapped((_id, lastTime) => seen.push(lastTime));
    const [a, b] = await Promise.all([gw.history!.ensure(S), gw.history!.ensure(S)]);
    expect(a).toMatchObject({ kind: 'imported', rows: 2000 });
    expect(b).toBe(a);
    expect(await gw.history!.ensure(S)).toBe(a);
    expect(seen).toHaveLength(1);
    expect(await gw.store.count(S)).toBe(2000);
  });

  it('does not stall live ingest, fan-out or reads during a 500k-row import', async () => {
    const { gw } = await start(500_000, { freqtradeBootstrapLimit: 0 });
    const LIVE = 'binance:spot:ETH/USDT:1m';
    const ws = await WsClient.connect(gw);
    clients.push(ws);
    ws.send({ type: 'subscribe', series_id: LIVE, since: 0 });
    await ws.expectSilence(100);

    let importCommits = 0;
    gw.store.onCommitted((msg) => (importCommits += msg.segments.filter((s) => s.seriesId === S).length));
    let importDone = false;
    const imported = gw.history!.ensure(S).then((outcome) => ((importDone = true), outcome));
    while (importCommits === 0) await new Promise((r) => setTimeout(r, 5));

    const latencies: number[] = [];
    let t = 60;
    do {
      const t0 = performance.now();
      const res = await postClosed(gw.url, LIVE, candle(t));
      expect(res.status).toBe(200);
      const [frame] = await ws.next(1, 2000);
      expect(frame).toEqual({ type: 'candle_closed', series_id: LIVE, candle: candle(t) });
      const read = await http(gw.url, 'GET', `/api/market/candles?series_id=${q(LIVE)}&since=${t - 60}`);
      expect(times(read.body.candles)).toEqual([t]);
      latencies.push(performance.now() - t0);
      t += 60;
    } while (!importDone && latencies.length < 200);

    expect(await imported).toMatchObject({ kind: 'imported', rows: 500_000 });
    // The import was really running while live candles went through, and took many commits.
    expect(latencies.length).toBeGreaterThan(1);
    expect(importCommits).toBe(10);
    // Generous bound for a shared 2-core machine; a bulk slice is ~50 ms of SQLite work.
    expect(Math.max(...latencies), `latencies ms: ${latencies.map((l) => l.toFixed(0)).join(', ')}`).toBeLessThan(1000);
    expect(await gw.store.count(S)).toBe(500_000);
  });
});

describeWithSharedFixtures('freqtrade bootstrap from the real fixture datadir', () => {
  let gw: TestGateway | null = null;
  afterEach(async () => {
    await gw?.dispose();
    gw = null;
  });

  it('bootstraps binance:futures:XRP/USDT:5m with its 1,999 candles', async () => {
    gw = await startTestGateway({ historySource: 'freqtrade', freqtradeDatadir: sharedFixture('freqtrade'), freqtradeBootstrapLimit: 0 });
    const res = await http(gw.url, 'GET', `/api/market/candles?series_id=${q('binance:futures:XRP/USDT:5m')}&limit=5000`);
    expect(res.body.candles).toHaveLength(1999);
    expect(res.body.server_head_time).toBe(res.body.candles[1998].candle_time);
    expect(await gw.store.count('binance:futures:XRP/USDT:5m')).toBe(1999);
  });

  it('gives zero rows and a logged reason for the 0-byte feather and the [] json', async () => {
    const logs = captureLogs();
    gw = await startTestGateway({ historySource: 'freqtrade', freqtradeDatadir: sharedFixture('freqtrade') });
    for (const [series, code] of [
      ['binance:spot:UNITTEST/BTC:8m', 'empty_file'],
      ['binance:spot:NOPAIR/XXX:4m', 'no_rows'],
    ] as const) {
      const res = await http(gw.url, 'GET', `/api/market/candles?series_id=${q(series)}`);
      expect(res.body).toEqual({ series_id: series, server_head_time: null, candles: [] });
      expect(logs).toContainEqual(
        expect.objectContaining({ level: 'warn', component: 'history.bootstrap', msg: 'freqtrade file gave no candles', series_id: series, code }),
      );
    }
    expect(await gw.store.count()).toBe(0);
  });
});
