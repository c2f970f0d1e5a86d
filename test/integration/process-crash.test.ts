import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { candle, http, postClosed } from '../support/gateway-harness.js';
import { GatewayProcess } from '../support/gateway-process.js';

const S = 'binance:futures:BTC/USDT:1m';

describe('the gateway as a process', () => {
  const dirs: string[] = [];
  const procs: GatewayProcess[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill('SIGKILL');
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const envFor = (dir: string) => ({ TRADE_CANVAS_DB_PATH: join(dir, 'market.db'), TRADE_CANVAS_WHITELIST_PATH: join(dir, 'none.json') });

  it('kill -9 right after candle_closed returned 200: after restart the candle is there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-gw-kill-'));
    dirs.push(dir);
    const first = await GatewayProcess.start(envFor(dir));
    procs.push(first);
    expect((await postClosed(first.url, S, candle(60, 42))).status).toBe(200);
    expect((await first.kill('SIGKILL')).signal).toBe('SIGKILL');
    procs.splice(procs.indexOf(first), 1);

    const second = await GatewayProcess.start(envFor(dir));
    procs.push(second);
    const read = await http(second.url, 'GET', `/api/market/candles?series_id=${encodeURIComponent(S)}`);
    expect(read.body).toEqual({ series_id: S, server_head_time: 60, candles: [candle(60, 42)] });
    // The restart had to take over from a dead owner and clear its lock.
    expect(second.logs.some((l) => l.includes('stale database owner found'))).toBe(true);
    expect(second.logs.some((l) => l.includes('removed stale database lock'))).toBe(true);
  }, 60_000);

  it('SIGTERM stops gracefully with exit code 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-gw-term-'));
    dirs.push(dir);
    const gw = await GatewayProcess.start(envFor(dir));
    procs.push(gw);
    await postClosed(gw.url, S, candle(60));
    const exit = await gw.kill('SIGTERM');
    procs.splice(procs.indexOf(gw), 1);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(gw.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  }, 60_000);

  it('a bad setting stops start-up naming the variable and what is allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kline-gw-cfg-'));
    dirs.push(dir);
    await expect(GatewayProcess.start({ ...envFor(dir), TRADE_CANVAS_PORT: 'eighty', TRADE_CANVAS_ENABLE_DEV_API: 'maybe' })).rejects.toThrow(
      /TRADE_CANVAS_PORT: expected an integer in 0\.\.65535, got 'eighty'[\s\S]*TRADE_CANVAS_ENABLE_DEV_API: expected a boolean/,
    );
  }, 30_000);
});
