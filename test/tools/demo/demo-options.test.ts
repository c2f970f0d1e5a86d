import { describe, expect, it } from 'vitest';
import { parseDemoArgs } from '../../../tools/demo/demo-options.js';

describe('demo arguments', () => {
  it('defaults: port 8000 (not explicit), real-time bars, 2000 history bars, data/demo, quiet logs', () => {
    expect(parseDemoArgs([], {})).toEqual({
      kind: 'run',
      options: { port: 8000, portExplicit: false, barSeconds: 60, historyBars: 2000, dataDir: 'data/demo', logLevel: 'warn', seed: 1 },
    });
  });

  it('DEMO_* variables set options; flags win over them', () => {
    const env = { DEMO_PORT: '9001', DEMO_BAR_SECONDS: '5', DEMO_DATA_DIR: '/tmp/x', DEMO_LOG_LEVEL: 'info', DEMO_HISTORY_BARS: '500' };
    expect(parseDemoArgs([], env)).toMatchObject({
      options: { port: 9001, portExplicit: true, barSeconds: 5, dataDir: '/tmp/x', logLevel: 'info', historyBars: 500 },
    });
    expect(parseDemoArgs(['--bar-seconds', '2.5', '--port', '0'], env)).toMatchObject({ options: { port: 0, barSeconds: 2.5, dataDir: '/tmp/x' } });
    // An empty variable is unset, as with the gateway's settings.
    expect(parseDemoArgs([], { DEMO_PORT: ' ' })).toMatchObject({ options: { port: 8000, portExplicit: false } });
  });

  it('reports every bad value at once, naming where it came from', () => {
    const parsed = parseDemoArgs(['--bar-seconds', '0.1', '--log-level', 'loud'], { DEMO_PORT: 'eighty' });
    expect(parsed.kind).toBe('error');
    const message = (parsed as { message: string }).message;
    expect(message).toContain("DEMO_PORT: expected an integer in 0..65535, got 'eighty'");
    expect(message).toContain("--bar-seconds: expected a number in 1..60, got '0.1'");
    expect(message).toContain("got 'loud'");
  });

  it('unknown flags are errors; --help is help', () => {
    expect(parseDemoArgs(['--speed', '3'], {}).kind).toBe('error');
    expect(parseDemoArgs(['--help'], {})).toEqual({ kind: 'help' });
  });
});
