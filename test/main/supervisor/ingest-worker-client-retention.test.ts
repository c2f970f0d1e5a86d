import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { configWith } from '../../../src/main/config/load-config.js';
import { IngestWorkerClient } from '../../../src/main/supervisor/ingest-worker-client.js';
import { ingestWorkerData } from '../../../src/main/supervisor/worker-assignment.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import { useTempDir } from '../../support/temp-dir.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * `/metrics` and `ingest_state` call `stats()` on every ingest worker at each scrape. A client
 * that keeps a reference to each answer (e.g. a race against a promise that never settles while
 * the worker lives) grows by one stats object per scrape for the process's life (issue 10: 268 →
 * 787 MiB after 2,000 scrapes with 200 series). A real worker thread, a real writer behind its
 * producer port; no exchange is needed for stats.
 */
describe('IngestWorkerClient memory', () => {
  const tempDir = useTempDir();
  let client: IngestWorkerClient | null = null;
  let store: InThreadStore | null = null;
  afterEach(async () => {
    await client?.close();
    await store?.close();
    setLogLevel('info');
  });

  it('does not retain stats() results after the caller drops them', async () => {
    setLogLevel('silent');
    const opened = await InThreadStore.open({ dbPath: join(tempDir(), 'market.db'), synchronous: 'OFF', rowsPerStatement: 100, maxPendingCandles: 100_000 });
    store = opened;
    client = new IngestWorkerClient({ index: 0, data: ingestWorkerData(configWith({})), store: opened, forming: { publishForming: () => true } });
    await client.start();
    const refs: Array<WeakRef<object>> = [];
    for (let i = 0; i < 20; i++) refs.push(new WeakRef(await client.stats()));
    for (let round = 0; round < 5 && refs.some((r) => r.deref()); round++) {
      await new Promise((r) => setTimeout(r, 10));
      gc();
    }
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });
});
