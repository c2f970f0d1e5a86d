import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readCandleFile } from '../../src/history/read-candle-file.js';
import { tempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/gen-datadir.ts', import.meta.url).pathname;

describe('scripts/gen-datadir.ts', () => {
  it('writes the asked-for series, formats and gaps as a freqtrade datadir', async () => {
    const out = tempDir('gen-cli');
    const { stdout } = await run(process.execPath, [
      '--import', 'tsx', SCRIPT,
      '--out', out,
      '--series', 'binance:spot:BTC/USDT:1m,binance:futures:ETH/USDT:5m',
      '--count', '500',
      '--start', '2024-01-01T00:00:00Z',
      '--gaps', 'after:100:5',
      '--formats', 'feather,json',
    ]);
    expect(stdout.trim().split('\n').map((l) => JSON.parse(l).path)).toEqual([
      join(out, 'BTC_USDT-1m.feather'),
      join(out, 'BTC_USDT-1m.json'),
      join(out, 'futures/ETH_USDT_USDT-5m-futures.feather'),
      join(out, 'futures/ETH_USDT_USDT-5m-futures.json'),
    ]);
    const result = await readCandleFile(join(out, 'futures/ETH_USDT_USDT-5m-futures.feather'), { tfSeconds: 300 });
    expect(result).toMatchObject({ rowsKept: 500, gaps: 1, missingBars: 5 });
    expect(result.candles[0]).toBe(Date.UTC(2024, 0, 1) / 1000);
  });

  it('exits 2 with a message on bad arguments, writing nothing', async () => {
    const out = join(tempDir('gen-cli-bad'), 'data');
    const failure = await run(process.execPath, ['--import', 'tsx', SCRIPT, '--out', out, '--gaps', 'sometimes']).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('bad gap spec sometimes') });
    expect(existsSync(out)).toBe(false);
  });
});
