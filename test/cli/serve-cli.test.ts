import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVE_USAGE } from '../../src/cli/command-line.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { tempDir } from '../support/temp-dir.js';

const CLI = new URL('../../src/cli/cli.ts', import.meta.url).pathname;
const run = promisify(execFile);
const dir = tempDir('serve-cli');

/** The real CLI as its own process; resolves with its exit code and output. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('kline-gateway serve (process)', () => {
  it('prints its help and exits 0 without starting anything', async () => {
    const result = await cli(['serve', '--help'], { TRADE_CANVAS_DB_PATH: join(dir, 'help.db') });
    expect(result).toMatchObject({ code: 0, stdout: `${SERVE_USAGE}\n` });
    expect(existsSync(join(dir, 'help.db'))).toBe(false);
  });

  it('exits 2 and says what is wrong for a bad flag, a bad flag value, or a bad variable', async () => {
    expect(await cli(['serve', '--bogus'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^kline-gateway serve: Unknown option '--bogus'/) });
    expect(await cli(['--port', 'eighty'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--port: expected an integer in 0..65535, got 'eighty'"),
    });
    expect(await cli(['serve'], { TRADE_CANVAS_PORT: 'eighty' })).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("TRADE_CANVAS_PORT: expected an integer in 0..65535, got 'eighty'"),
    });
  });

  it('serves with the flags winning over the environment, and stops on SIGTERM with 0', async () => {
    const db = join(dir, 'from-flag.db');
    // A variable a flag overrides is not even parsed: the bad port here does not stop start-up.
    const gw = await GatewayProcess.start({ TRADE_CANVAS_PORT: 'eighty', TRADE_CANVAS_DB_PATH: join(dir, 'from-env.db') }, 20_000, [
      CLI,
      '--port',
      '0',
      '--db',
      db,
    ]);
    const listening = gw.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'listening');
    expect(listening).toMatchObject({ component: 'gateway', db });
    expect(gw.port).toBeGreaterThan(0);
    expect(await gw.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, 'from-env.db'))).toBe(false);
  });
});
