import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Lints snippets as if they lived at a path of the repository, with the project's own config.
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

async function layoutErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${path}` });
  return result!.messages.filter((m) => m.ruleId?.startsWith('layout/') || m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint: thread boundaries', () => {
  it('the main thread may import a worker contract but not worker internals', async () => {
    expect(await layoutErrors('src/main/hub/x.ts', "import { ok } from '../../writer/contract.js';\nexport { ok };")).toEqual([]);
    const errors = await layoutErrors('src/main/hub/x.ts', "import { WriterCore } from '../../writer/writer-core.js';\nexport { WriterCore };");
    expect(errors).toEqual([expect.stringContaining('the main thread reaches writer/ only through src/writer/contract.ts')]);
  });

  it('a worker may name a main-thread type, but not load main-thread code', async () => {
    expect(await layoutErrors('src/ingest/x.ts', "import type { Config } from '../main/config/settings.js';\nexport type C = Config;")).toEqual([]);
    expect(await layoutErrors('src/ingest/x.ts', "import { loadConfig } from '../main/config/load-config.js';\nexport { loadConfig };")).toEqual([
      expect.stringContaining('must not load main-thread code'),
    ]);
  });

  it('domain/ is pure: no I/O modules, nothing outside domain/ but errors', async () => {
    expect(await layoutErrors('src/domain/x.ts', "import { readFileSync } from 'node:fs';\nexport { readFileSync };")).toEqual([
      expect.stringContaining('pure'),
    ]);
    expect(await layoutErrors('src/domain/x.ts', "import { createLogger } from '../shared/log.js';\nexport { createLogger };")).toEqual([
      expect.stringContaining('domain/ is pure'),
    ]);
    expect(await layoutErrors('src/domain/x.ts', "import { GatewayError } from '../shared/errors.js';\nexport { GatewayError };")).toEqual([]);
  });

  it('exchange/ runs on any thread: workers and the main thread both import it; it imports no thread code', async () => {
    const budget = "import { WeightBudget } from '../exchange/binance/weight-budget.js';\nexport { WeightBudget };";
    expect(await layoutErrors('src/ingest/x.ts', budget)).toEqual([]);
    expect(await layoutErrors('src/main/x.ts', budget)).toEqual([]);
    expect(await layoutErrors('src/exchange/binance/x.ts', "import { SeriesJob } from '../../ingest/jobs/series-job.js';\nexport { SeriesJob };")).toEqual([
      expect.stringContaining('exchange/ runs on any thread'),
    ]);
    expect(await layoutErrors('src/exchange/binance/x.ts', "import type { Config } from '../../main/config/settings.js';\nexport type C = Config;")).toEqual([
      expect.stringContaining('exchange/ runs on any thread'),
    ]);
  });

  it('runtime code never imports tools or tests', async () => {
    expect(await layoutErrors('src/main/x.ts', "import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';\nexport { FakeBinance };")).toEqual([
      expect.stringContaining('tools and tests are not in the build'),
    ]);
  });

  it('one module owns the SQLite binding and uWebSockets.js, however it is loaded', async () => {
    expect(
      await layoutErrors(
        'src/writer/other.ts',
        "import { createRequire } from 'node:module';\nexport const b = createRequire(import.meta.url)('node-sqlite3-wasm');",
      ),
    ).toEqual([expect.stringContaining('node-sqlite3-wasm is imported only by src/writer/sqlite-candle-store.ts')]);
    expect(await layoutErrors('src/main/server/other.ts', "import uws from 'uWebSockets.js';\nexport { uws };")).toEqual([
      expect.stringContaining('uWebSockets.js is imported only by src/main/server/uws-transport.ts'),
    ]);
  });

  it('the tree itself passes', async () => {
    const results = await eslint.lintFiles(['src', 'workers']);
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}:${m.line} ${m.message}`))).toEqual([]);
  });
});
