/**
 * Structured logger: one JSON object per line on stdout, written by pino. Every line has `level`
 * (a name such as "info"), `time` (ms), `component` and `msg`; extra fields follow, flat. An
 * Error in a field is logged whole: type, message, stack, code and its `cause` chain.
 * docs/operations.md lists the messages an operator should know.
 *
 * This is the one module that imports pino. It runs on every thread: worker threads get their
 * level through workerData (`setLogLevel`) and write to their own `process.stdout`, which Node
 * forwards to the main thread's, so all lines leave the process through one stream. No pino
 * transport: a transport is a thread of its own, and every worker would start one.
 */
import pino from 'pino';

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
type Emit = Exclude<LogLevel, 'silent'>;

const envLevel = process.env.TRADE_CANVAS_LOG_LEVEL as LogLevel;
let globalLevel: LogLevel = envLevel in RANK ? envLevel : 'info';

// process.stdout.write is synchronous on Linux for files, pipes and terminals (Node's "A note on
// process I/O"): a line is out before the call returns, so a crash right after loses nothing.
const toStdout = (chunk: string): void => void process.stdout.write(chunk);
let write: (chunk: string) => void = toStdout;

const root = pino(
  {
    // Filtering happens in createLogger against the process-wide level, so that setLogLevel
    // reaches loggers created earlier (pino children copy their parent's level at creation).
    level: 'debug',
    base: null, // no pid/hostname: the line shape is level, time, component, msg, fields
    timestamp: pino.stdTimeFunctions.epochTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  // pino hands each finished line (ending in '\n') to this stream, synchronously.
  { write: (chunk: string) => write(chunk) },
);

export function setLogLevel(level: LogLevel): void {
  globalLevel = level;
}

export function getLogLevel(): LogLevel {
  return globalLevel;
}

/** Redirects log lines, one JSON object without its newline per call (tests read what an operator would). */
export function setLogSink(next: Sink | undefined): void {
  write = next ? (chunk) => next(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) : toStdout;
}

export function createLogger(component: string): Logger {
  const out = root.child({ component });
  const emit = (level: Emit, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < RANK[globalLevel]) return;
    // `msg` goes in first so that it keeps its place before the fields; pino would append it last.
    const record: Record<string, unknown> = { msg };
    if (fields) for (const key of Object.keys(fields)) record[key] = serializeValue(fields[key]);
    out[level](record);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${component}.${sub}`),
  };
}

/** Errors in any field (not only pino's `err`) become objects with their stack and cause chain. */
function serializeValue(value: unknown): unknown {
  return value instanceof Error ? serializeError(value) : value;
}

/** Serialized error: pino's errWithCause (type, message, stack, own fields such as `code`, cause). */
export function serializeError(err: Error): Record<string, unknown> {
  const out = pino.stdSerializers.errWithCause(err) as unknown as Record<string, unknown>;
  // pino follows only an Error cause; a thrown string or object is kept as it is.
  if (err.cause !== undefined && out.cause === undefined) out.cause = err.cause;
  return out;
}
