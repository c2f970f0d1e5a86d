import { parseArgs } from 'node:util';
import type { LogLevel } from '../../src/shared/log.js';

export interface DemoOptions {
  /** Gateway port; 0 = any free port. */
  readonly port: number;
  /** The port was asked for (flag or DEMO_PORT): if it is busy, fail instead of picking another. */
  readonly portExplicit: boolean;
  /** Real seconds one 1m bar lasts (60 = real time). */
  readonly barSeconds: number;
  /** Closed bars of history per demo series. */
  readonly historyBars: number;
  /** Where the demo keeps its database, datadir and page build. */
  readonly dataDir: string;
  /** Gateway log level: warn keeps the terminal to the banner and real problems. */
  readonly logLevel: LogLevel;
  readonly seed: number;
}

export const DEMO_USAGE = `npm run demo [-- options]    offline demo: fake Binance + history + gateway + live chart

Options (environment variable in brackets):
  --port N            gateway port, 0 = any free one   [DEMO_PORT]          default 8000 (a free one if busy)
  --bar-seconds S     real seconds per 1m bar, 1..60   [DEMO_BAR_SECONDS]   default 60 (real time)
  --history-bars N    history bars per series, 1..20000 [DEMO_HISTORY_BARS] default 2000
  --data-dir DIR      database, datadir, page build    [DEMO_DATA_DIR]      default data/demo
  --log-level L       debug|info|warn|error|silent     [DEMO_LOG_LEVEL]     default warn
  --seed N            random seed of the fake market   [DEMO_SEED]          default 1
  --help

TRADE_CANVAS_* variables are not read: the demo configures the gateway itself.`;

export type ParsedDemoArgs =
  { readonly kind: 'run'; readonly options: DemoOptions } | { readonly kind: 'help' } | { readonly kind: 'error'; readonly message: string };

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Flags win over DEMO_* variables, which win over the defaults. Every problem is reported at once. */
export function parseDemoArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedDemoArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        port: { type: 'string' },
        'bar-seconds': { type: 'string' },
        'history-bars': { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return { kind: 'error', message: (err as Error).message };
  }
  if (values.help) return { kind: 'help' };

  const problems: string[] = [];
  const pick = (flag: string, variable: string): { raw: string; from: string } | undefined => {
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return { raw: fromFlag, from: `--${flag}` };
    const fromEnv = env[variable];
    return fromEnv !== undefined && fromEnv.trim() !== '' ? { raw: fromEnv.trim(), from: variable } : undefined;
  };
  const number = (flag: string, variable: string, fallback: number, min: number, max: number, integer: boolean): number => {
    const given = pick(flag, variable);
    if (!given) return fallback;
    const value = Number(given.raw);
    if (given.raw === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      problems.push(`${given.from}: expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got '${given.raw}'`);
      return fallback;
    }
    return value;
  };

  const port = number('port', 'DEMO_PORT', 8000, 0, 65535, true);
  const barSeconds = number('bar-seconds', 'DEMO_BAR_SECONDS', 60, 1, 60, false);
  const historyBars = number('history-bars', 'DEMO_HISTORY_BARS', 2000, 1, 20_000, true);
  const seed = number('seed', 'DEMO_SEED', 1, 0, 2 ** 32 - 1, true);
  const logLevel = (pick('log-level', 'DEMO_LOG_LEVEL')?.raw ?? 'warn') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`log level: expected one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  const dataDir = pick('data-dir', 'DEMO_DATA_DIR')?.raw ?? 'data/demo';
  if (problems.length > 0) return { kind: 'error', message: problems.join('\n') };
  return { kind: 'run', options: { port, portExplicit: pick('port', 'DEMO_PORT') !== undefined, barSeconds, historyBars, dataDir, logLevel, seed } };
}
