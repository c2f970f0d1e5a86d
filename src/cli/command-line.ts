import { parseArgs } from 'node:util';
import type { Config } from '../main/config/settings.js';
import { IMPORT_USAGE } from './import-command.js';
import { settingFlagOptions, settingOverrides, type SettingFlags } from './setting-flags.js';

export const USAGE = `kline-gateway — Binance K-line gateway (trade_canvas market API)

Usage:
  kline-gateway serve [--host H] [--port N] [--db PATH]   run the gateway (default command)
                      [--store postgres --pg-url URL]
  kline-gateway import --datadir DIR [--series ID ...] [--db PATH]
                      [--store postgres --pg-url URL]   import freqtrade candle files
  kline-gateway help [COMMAND]                           this text, or a command's (also COMMAND --help)

Every setting is a TRADE_CANVAS_* environment variable (docs/operations.md); the flags above
override the matching ones.`;

export const SERVE_USAGE = `kline-gateway serve [--host H] [--port N] [--db PATH] [--store KIND] [--pg-url URL]

Runs the gateway until SIGINT/SIGTERM (graceful stop). Every setting is a TRADE_CANVAS_*
environment variable (docs/operations.md); a flag wins over its variable and is checked the same way.

  --host H      interface to listen on (TRADE_CANVAS_HOST, default 127.0.0.1)
  --port N      TCP port, 0 = any free one (TRADE_CANVAS_PORT, default 8000)
  --db PATH     SQLite database file (TRADE_CANVAS_DB_PATH, default data/market.db)
  --store KIND  sqlite or postgres (TRADE_CANVAS_STORE, default sqlite)
  --pg-url URL  PostgreSQL database, postgres://user@host:port/db (TRADE_CANVAS_PG_URL)`;

/** serve's flags and the settings they set. */
const SERVE_FLAGS: SettingFlags = { host: 'host', port: 'port', db: 'dbPath', store: 'store', 'pg-url': 'pgUrl' };

const COMMAND_USAGE: Readonly<Record<string, string>> = { serve: SERVE_USAGE, import: IMPORT_USAGE };

/** What the command line asks for. `usage_error` (its message is printed as it is) exits 2. */
export type Invocation =
  | { readonly kind: 'serve'; readonly overrides: Partial<Config> }
  | { readonly kind: 'import'; readonly args: readonly string[] }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'usage_error'; readonly message: string };

/**
 * Reads argv (without node and the script). The command comes first and defaults to serve, also
 * when the line starts with a flag (`kline-gateway --port 9000`). Flag values are validated here
 * (ConfigError, exit 2 as well); the environment is read later, once.
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined || (first.startsWith('-') && first !== '-h' && first !== '--help')) return parseServe(argv);
  switch (first) {
    case 'serve':
      return parseServe(rest);
    case 'import':
      return { kind: 'import', args: rest }; // the import command parses its own flags
    case 'help':
    case '--help':
    case '-h': {
      const topic = rest[0];
      if (topic === undefined) return { kind: 'help', text: USAGE };
      const text = COMMAND_USAGE[topic];
      return text ? { kind: 'help', text } : { kind: 'usage_error', message: `kline-gateway: unknown command: ${topic}\n\n${USAGE}` };
    }
    default:
      return { kind: 'usage_error', message: `kline-gateway: unknown command: ${first}\n\n${USAGE}` };
  }
}

function parseServe(args: readonly string[]): Invocation {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...args], options: { ...settingFlagOptions(SERVE_FLAGS), help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    // parseArgs' own words: "Unknown option '--x'", "Option '--port <value>' argument missing".
    return { kind: 'usage_error', message: `kline-gateway serve: ${(err as Error).message}\n\n${SERVE_USAGE}` };
  }
  if (values.help) return { kind: 'help', text: SERVE_USAGE };
  return { kind: 'serve', overrides: settingOverrides(SERVE_FLAGS, values) };
}
