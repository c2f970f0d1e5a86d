import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/main/config/load-config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const { config } = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      dbPath: 'data/market.db',
      apiToken: '',
      maxBodyBytes: 4 * 1024 * 1024,
      wsCatchupLimit: 5000,
      formingMinIntervalMs: 250,
      ondemandIdleTtlS: 60,
      binanceWsBatchMax: 200,
      binanceWsFlushS: 0.5,
    });
  });

  it('parses booleans as 1/true/yes/on and 0/false/no/off, any case', () => {
    for (const v of ['1', 'true', 'YES', 'On']) expect(loadConfig({ TRADE_CANVAS_ENABLE_DEV_API: v }).config.enableDevApi).toBe(true);
    for (const v of ['0', 'false', 'no', 'OFF']) expect(loadConfig({ TRADE_CANVAS_ENABLE_DEV_API: v }).config.enableDevApi).toBe(false);
  });

  it('reports every bad value with the variable name and what it allows, never replacing it silently', () => {
    try {
      loadConfig({
        TRADE_CANVAS_PORT: '70000',
        TRADE_CANVAS_ENABLE_DEBUG_API: 'maybe',
        TRADE_CANVAS_BINANCE_SPOT_WS_URL: 'http://x',
        TRADE_CANVAS_SQLITE_SYNCHRONOUS: 'fast',
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        "TRADE_CANVAS_PORT: expected an integer in 0..65535, got '70000'",
        "TRADE_CANVAS_ENABLE_DEBUG_API: expected a boolean (1/true/yes/on or 0/false/no/off), got 'maybe'",
        "TRADE_CANVAS_SQLITE_SYNCHRONOUS: expected one of FULL, NORMAL, OFF, got 'fast'",
        "TRADE_CANVAS_BINANCE_SPOT_WS_URL: expected a ws/wss URL, got 'http://x'",
      ]);
    }
  });

  it('treats empty as unset and lists unknown TRADE_CANVAS_ variables', () => {
    const { config, unknownVariables } = loadConfig({ TRADE_CANVAS_PORT: '', TRADE_CANVAS_PROT: '1', OTHER: 'x' });
    expect(config.port).toBe(8000);
    expect(unknownVariables).toEqual(['TRADE_CANVAS_PROT']);
  });

  it('stores in SQLite by default; PostgreSQL needs its URL, and a URL is checked', () => {
    expect(loadConfig({}).config).toMatchObject({ store: 'sqlite', pgUrl: '', pgPoolSize: 4, pgStatementTimeoutMs: 30_000, pgConnectWaitS: 0 });
    expect(() => loadConfig({ TRADE_CANVAS_STORE: 'postgres' })).toThrow(/TRADE_CANVAS_PG_URL: required when TRADE_CANVAS_STORE=postgres/);
    expect(() => loadConfig({ TRADE_CANVAS_STORE: 'mysql' })).toThrow(/TRADE_CANVAS_STORE: expected one of sqlite, postgres, got 'mysql'/);
    expect(() => loadConfig({ TRADE_CANVAS_STORE: 'postgres', TRADE_CANVAS_PG_URL: 'http://db/x' })).toThrow(
      /TRADE_CANVAS_PG_URL: expected a postgres\/postgresql URL/,
    );
    const { config } = loadConfig({ TRADE_CANVAS_STORE: 'postgres', TRADE_CANVAS_PG_URL: 'postgres://gw@127.0.0.1:5432/market' });
    expect(config).toMatchObject({ store: 'postgres', pgUrl: 'postgres://gw@127.0.0.1:5432/market' });
  });
});
