import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/shared/errors.js';
import { createLogger, setLogLevel } from '../../src/shared/log.js';
import { captureLogs } from '../support/log-capture.js';

const SHIM = new URL('../../workers/ts-shim.mjs', import.meta.url);
const LOG_WORKER = new URL('../support/log-worker.ts', import.meta.url).href;

describe('log lines', () => {
  it('are one flat JSON object: level name, time in ms, component, msg, then the fields', () => {
    const lines = captureLogs('debug');
    const before = Date.now();
    createLogger('gateway')
      .child('sub')
      .info('listening', { url: 'http://x', port: 80, nested: { a: [1, 2] } });
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(Object.keys(line)).toEqual(['level', 'time', 'component', 'msg', 'url', 'port', 'nested']);
    expect(line).toMatchObject({ level: 'info', component: 'gateway.sub', msg: 'listening', url: 'http://x', port: 80, nested: { a: [1, 2] } });
    expect(line.time).toBeGreaterThanOrEqual(before);
    expect(line.time).toBeLessThanOrEqual(Date.now());
  });

  it('carry an error field whole: type, message, stack, code and the cause chain', () => {
    const lines = captureLogs();
    const root = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const err = new GatewayError('store_failed', 'commit failed', { cause: root });
    createLogger('writer').error('commit failed; batches kept for retry', { error: err, batches: 3 });
    const error = lines[0]!.error as Record<string, any>;
    expect(error).toMatchObject({ type: 'GatewayError', message: 'commit failed', code: 'store_failed', status: 500 });
    expect(error.stack).toMatch(/^GatewayError: commit failed\n\s+at /);
    expect(error.stack).toContain('log.test.ts');
    expect(error.cause).toMatchObject({ type: 'Error', message: 'ENOSPC: no space left on device', code: 'ENOSPC' });
    expect(error.cause.stack).toMatch(/^Error: ENOSPC/);
    expect(lines[0]!.batches).toBe(3);
  });

  it('keep a cause that is not an Error as it was thrown', () => {
    const lines = captureLogs();
    createLogger('t').warn('odd throw', { error: new Error('wrapped', { cause: { status: 418 } }), other: new RangeError('second') });
    expect((lines[0]!.error as any).cause).toEqual({ status: 418 });
    expect(lines[0]!.other).toMatchObject({ type: 'RangeError', message: 'second' });
  });

  it('follow setLogLevel, also in loggers created before the change', () => {
    const early = createLogger('early');
    const lines = captureLogs('warn');
    early.info('hidden');
    early.warn('shown');
    setLogLevel('silent');
    early.error('hidden too');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });

  it('come out of a worker thread at the level given in workerData, stack and cause included', async () => {
    const worker = new Worker(SHIM, { workerData: { __tsEntry: LOG_WORKER, logLevel: 'info' }, stdout: true });
    let text = '';
    worker.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const [code] = await once(worker, 'exit');
    expect(code).toBe(0);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1); // the debug line is filtered out
    expect(lines[0]).toMatchObject({ level: 'error', component: 'worker-test', msg: 'worker failed' });
    expect(lines[0].error.stack).toMatch(/^Error: outer in worker\n/);
    expect(lines[0].error.cause).toMatchObject({ message: 'inner in worker' });
    expect(lines[0].error.cause.stack).toMatch(/^Error: inner in worker\n/);
  });
});
