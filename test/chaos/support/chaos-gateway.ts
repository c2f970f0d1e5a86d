import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { http } from '../../support/gateway-harness.js';
import { GatewayProcess } from '../../support/gateway-process.js';

/**
 * The gateway as the probes run it: a separate OS process (its RSS and fds are its own, kill -9
 * is real), settings through the environment as an operator gives them, on 127.0.0.1 only.
 */

/** A directory for one probe file, removed after it. */
export function probeDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kline-chaos-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Environment of a gateway storing in `dbPath`, dev and debug routes on, no whitelist unless given. */
export function gatewayEnv(dbPath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TRADE_CANVAS_DB_PATH: dbPath,
    TRADE_CANVAS_WHITELIST_PATH: `${dbPath}.none.json`,
    TRADE_CANVAS_ENABLE_DEV_API: '1',
    TRADE_CANVAS_ENABLE_DEBUG_API: '1',
    ...extra,
  };
}

/** Whitelist ingest of `series` from the fake exchange (file written next to the database). */
export function ingestEnv(fake: FakeBinance, dbPath: string, series: readonly string[]): Record<string, string> {
  const whitelist = `${dbPath}.whitelist.json`;
  writeFileSync(whitelist, JSON.stringify({ series_ids: series }));
  return {
    TRADE_CANVAS_ENABLE_WHITELIST_INGEST: '1',
    TRADE_CANVAS_WHITELIST_PATH: whitelist,
    TRADE_CANVAS_BINANCE_SPOT_WS_URL: fake.wsUrl('spot'),
    TRADE_CANVAS_BINANCE_FUTURES_WS_URL: fake.wsUrl('futures'),
    TRADE_CANVAS_BINANCE_SPOT_REST_URL: fake.restUrl(),
    TRADE_CANVAS_BINANCE_FUTURES_REST_URL: fake.restUrl(),
    TRADE_CANVAS_BINANCE_WS_RECONNECT_MIN_MS: '100',
    TRADE_CANVAS_BINANCE_WS_RECONNECT_MAX_MS: '400',
  };
}

/** Is the process alive and serving: /healthz answers 200. */
export async function serving(gw: GatewayProcess): Promise<boolean> {
  try {
    return (await http(gw.url, 'GET', '/healthz')).status === 200;
  } catch {
    return false;
  }
}

/** Log lines of a gateway process at level error or fatal. */
export function errorLines(gw: GatewayProcess): string[] {
  return gw.logs.filter((l) => /"level":"(error|fatal)"/.test(l));
}
