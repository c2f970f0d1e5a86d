import { it } from 'vitest';
import { WorkerStore } from '../../../src/main/store/worker-store.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import { databasesByKey, pgSettings, pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';
import { marketStoreContract } from './market-store.contract.js';

// The same contract suite as SQLite's (unchanged), against a real PostgreSQL: a database per
// store directory, so that reopening a directory finds the same data.
const skip = pgSkipReason();
if (skip) {
  it.skip(`MarketStore contract on PostgreSQL — skipped, needs PostgreSQL: ${skip}`);
} else {
  const cluster = usePgCluster();
  const databaseFor = databasesByKey(cluster);

  marketStoreContract('postgres, worker-backed', async (settings) => {
    const store = new WorkerStore({ ...settings, store: 'postgres', pg: pgSettings(await databaseFor(settings.dbPath)) });
    await store.whenReady();
    return store;
  });

  marketStoreContract('postgres, in-thread', async (settings) =>
    InThreadStore.open({ ...settings, store: 'postgres', pg: pgSettings(await databaseFor(settings.dbPath)) }),
  );
}
