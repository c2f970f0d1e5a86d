import { onTestFinished } from 'vitest';
import { getLogLevel, setLogLevel, setLogSink, type LogLevel } from '../../src/shared/log.js';

export interface LogRecord {
  readonly level: string;
  readonly component: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/**
 * Captures the log lines an operator would read (JSON, parsed) for the current test; restores the
 * sink and level when the test finishes. Call it inside a test.
 */
export function captureLogs(level: LogLevel = 'info'): LogRecord[] {
  const lines: LogRecord[] = [];
  const previous = getLogLevel();
  setLogLevel(level);
  setLogSink((line) => lines.push(JSON.parse(line) as LogRecord));
  onTestFinished(() => {
    setLogSink(undefined);
    setLogLevel(previous);
  });
  return lines;
}
