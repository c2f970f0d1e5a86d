/**
 * Minimal structured logger: one JSON object per line on stdout (pino's format, without the
 * dependency). Every line has `level`, `time` (ms), `component` and `msg`; extra fields follow.
 * docs/operations.md lists the messages an operator should know.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

type Sink = (line: string) => void;

let globalLevel: LogLevel = (process.env.TRADE_CANVAS_LOG_LEVEL as LogLevel) in RANK ? (process.env.TRADE_CANVAS_LOG_LEVEL as LogLevel) : 'info';
let sink: Sink = (line) => process.stdout.write(line + '\n');

export function setLogLevel(level: LogLevel): void {
  globalLevel = level;
}

/** Redirects log lines (tests capture them to assert what an operator would read). */
export function setLogSink(next: Sink | undefined): void {
  sink = next ?? ((line) => process.stdout.write(line + '\n'));
}

export function createLogger(component: string): Logger {
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < RANK[globalLevel]) return;
    const record: Record<string, unknown> = { level, time: Date.now(), component, msg };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = v instanceof Error ? v.message : v;
    sink(JSON.stringify(record));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (sub) => createLogger(`${component}.${sub}`),
  };
}

export function getLogLevel(): LogLevel {
  return globalLevel;
}
