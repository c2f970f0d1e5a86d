#!/usr/bin/env node
// The command line: serve (default) and import. Exit codes: 0 done, 1 failed (start-up, a file
// of an import), 2 bad arguments or settings, 130 an interrupted import.
import { ConfigError } from '../main/config/load-config.js';
import { describeError } from '../shared/errors.js';
import { createLogger } from '../shared/log.js';
import { parseCommandLine } from './command-line.js';
import { importCommand } from './import-command.js';
import { serveCommand } from './serve-command.js';

const log = createLogger('cli');

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

async function main(argv: readonly string[]): Promise<void> {
  const invocation = parseCommandLine(argv);
  switch (invocation.kind) {
    case 'serve':
      return serveCommand(process.env, invocation.overrides);
    case 'import':
      process.exitCode = await importCommand(invocation.args, { out: process.stdout, err: process.stderr, env: process.env, onInterrupt });
      return;
    case 'help':
      console.log(invocation.text);
      return;
    case 'usage_error':
      console.error(invocation.message);
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
