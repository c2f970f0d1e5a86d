#!/usr/bin/env node
import { ConfigError, loadConfig } from '../main/config/load-config.js';
import type { Config } from '../main/config/settings.js';
import { describeError } from '../shared/errors.js';
import { startGateway } from '../main/gateway.js';
import { importCommand } from './import-command.js';
import { createLogger, setLogLevel } from '../shared/log.js';

const log = createLogger('cli');

const USAGE = `kline-gateway — Binance K-line gateway (trade_canvas market API)

Usage:
  kline-gateway serve [--host H] [--port N] [--db PATH]   run the gateway (default command)
  kline-gateway import --datadir DIR [--series ID ...] [--db PATH]
                                                         import freqtrade candle files
  kline-gateway help

Every setting is a TRADE_CANVAS_* environment variable (docs/operations.md); the flags above
override the matching ones.`;

/** Flag → typed config override. */
function overridesFrom(args: string[]): Partial<Config> {
  const out: Record<string, unknown> = {};
  const env: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = args[i + 1];
    const map: Record<string, string> = { '--host': 'TRADE_CANVAS_HOST', '--port': 'TRADE_CANVAS_PORT', '--db': 'TRADE_CANVAS_DB_PATH' };
    if (!(flag in map) || value === undefined) throw new ConfigError([`unknown or incomplete option: ${flag}`]);
    env[map[flag]!] = value;
    i++;
  }
  // Parse flag values with the same validation as the environment.
  const parsed = loadConfig({ ...process.env, ...env }).config;
  for (const [key, name] of [
    ['host', 'TRADE_CANVAS_HOST'],
    ['port', 'TRADE_CANVAS_PORT'],
    ['dbPath', 'TRADE_CANVAS_DB_PATH'],
  ] as const) {
    if (name in env) out[key] = parsed[key];
  }
  return out as Partial<Config>;
}

async function serve(args: string[]): Promise<void> {
  const { config, unknownVariables } = loadConfig(process.env, overridesFrom(args));
  setLogLevel(config.logLevel);
  if (unknownVariables.length > 0) log.warn('ignoring unknown TRADE_CANVAS_* variables (typos?)', { variables: unknownVariables });
  const gateway = await startGateway(config);
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
    gateway.stop().then(
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
}

/** First Ctrl-C: the import stops after committing what it sent; a second one exits at once. */
function onInterrupt(stop: () => void): () => void {
  let signals = 0;
  const handler = () => (++signals > 1 ? process.exit(130) : stop());
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'import':
      process.exitCode = await importCommand(rest, { out: process.stdout, err: process.stderr, env: process.env, onInterrupt });
      return;
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      if (command.startsWith('--')) return serve(argv);
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError) {
    console.error(`kline-gateway: ${err.message}`);
    process.exit(2);
  }
  log.error('start-up failed', { error: err });
  console.error(`kline-gateway: ${describeError(err)}`);
  process.exit(1);
});
