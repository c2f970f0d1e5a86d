import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDbOwnership, type DbOwnership } from '../../../src/main/store/db-owner.js';
import { WorkerStore } from '../../../src/main/store/worker-store.js';
import { packed } from '../../support/candles.js';
import { useTempDir } from '../../support/temp-dir.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('WorkerStore memory', () => {
  const tempDir = useTempDir();
  let store: WorkerStore | null = null;
  let owner: DbOwnership | null = null;
  afterEach(async () => {
    await store?.close();
    await owner?.release();
  });

  it('does not retain read results after the caller drops them (no leak per read)', async () => {
    const dbPath = join(tempDir(), 'market.db');
    owner = await acquireDbOwnership(dbPath);
    store = new WorkerStore({ dbPath, synchronous: 'FULL', rowsPerStatement: 100, maxPendingCandles: 100_000 });
    await store.whenReady();
    await store.write([{ seriesId: 's:m:X/Y:1m', data: packed([60, 120, 180]) }], { publish: false });
    const refs: Array<WeakRef<Float64Array>> = [];
    for (let i = 0; i < 20; i++) refs.push(new WeakRef((await store.after('s:m:X/Y:1m', 0, 10)).data));
    for (let round = 0; round < 5 && refs.some((r) => r.deref()); round++) {
      await new Promise((r) => setTimeout(r, 10));
      gc();
    }
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });
});
