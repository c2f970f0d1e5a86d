import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('uWebSockets.js native binary', () => {
  it('loads natively here (the transport module imports without refusing)', async () => {
    await expect(import('../../../src/main/server/uws-transport.js')).resolves.toBeTruthy();
  });

  it('refuses to run on the pure-JS fallback, with a clear message', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', "await import('./src/main/server/uws-transport.ts')"], {
      env: { ...process.env, UWS_USE_FALLBACK: '1' },
      encoding: 'utf8',
      cwd: new URL('../../..', import.meta.url).pathname,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('UWS_USE_FALLBACK is set: kline-gateway runs only on the native uWebSockets.js binary');
  });
});
