import { configWith } from '../../src/main/config/load-config.js';
import type { Config } from '../../src/main/config/settings.js';
import type { FakeBinance } from '../fake-binance/fake-binance.js';
import type { LogLevel } from '../../src/shared/log.js';
import type { DemoPaths } from './demo-dir.js';

export interface DemoConfigInput {
  readonly port: number;
  readonly paths: DemoPaths;
  readonly exchange: FakeBinance;
  readonly historyBars: number;
  readonly logLevel: LogLevel;
}

/** Loopback only: the demo is for the person at this machine. */
export const DEMO_HOST = '127.0.0.1';

/**
 * The gateway's settings for the demo, from code (no TRADE_CANVAS_* variable is read, so a shell
 * set up for a real gateway cannot point the demo at Binance or at a real database):
 *  - whitelist ingest of the demo series, on-demand ingest of anything else, both from the fake;
 *  - history from the generated freqtrade datadir, all of it (the bootstrap limit is its size);
 *  - hub gap backfill on, so a subscriber sees a hole filled rather than announced;
 *  - the dev and debug APIs on, to poke at (docs/protocol.md).
 */
export function demoGatewayConfig(input: DemoConfigInput): Config {
  const { paths, exchange } = input;
  return configWith({
    host: DEMO_HOST,
    port: input.port,
    logLevel: input.logLevel,
    dbPath: paths.db,
    whitelistPath: paths.whitelist,
    enableDevApi: true,
    enableDebugApi: true,
    enableWhitelistIngest: true,
    enableOndemandIngest: true,
    enableGapBackfill: true,
    binanceSpotWsUrl: exchange.wsUrl('spot'),
    binanceFuturesWsUrl: exchange.wsUrl('futures'),
    binanceSpotRestUrl: exchange.restUrl(),
    binanceFuturesRestUrl: exchange.restUrl(),
    historySource: 'freqtrade',
    freqtradeDatadir: paths.datadir,
    freqtradeBootstrapLimit: input.historyBars,
  });
}
