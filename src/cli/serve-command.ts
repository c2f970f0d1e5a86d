import { loadConfig } from '../main/config/load-config.js';
import type { Config } from '../main/config/settings.js';
import { startGateway } from '../main/gateway.js';
import { createLogger, setLogLevel } from '../shared/log.js';

const log = createLogger('cli');

/**
 * `kline-gateway serve`: the settings (environment, then the flags' typed overrides, read once),
 * the gateway, and the signals that stop it (architecture.md's shutdown order is gateway.stop()).
 * A bad setting throws ConfigError before anything starts (exit 2).
 */
export async function serveCommand(env: Record<string, string | undefined>, overrides: Partial<Config>): Promise<void> {
  const { config, unknownVariables } = loadConfig(env, overrides);
  setLogLevel(config.logLevel);
  if (unknownVariables.length > 0) log.warn('ignoring unknown TRADE_CANVAS_* variables (typos?)', { variables: unknownVariables });
  const starting = startGateway(config);
  // Handlers go in before start-up ends: the 'listening' line is out before startGateway returns,
  // and a SIGTERM right after it must stop gracefully, not kill the process by default.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn('second signal: exiting without waiting', { signal });
      process.exit(1);
    }
    log.info('signal received: stopping gracefully', { signal });
    const timeout = setTimeout(() => {
      log.error('graceful stop took too long; exiting', { timeout_s: config.shutdownTimeoutS });
      process.exit(1);
    }, config.shutdownTimeoutS * 1000);
    starting
      .then((gateway) => gateway.stop())
      .then(
        () => {
          clearTimeout(timeout);
          process.exit(0);
        },
        (err) => {
          log.error('graceful stop failed', { error: err });
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await starting; // a failed start-up rejects here: exit 1 (cli.ts)
}
