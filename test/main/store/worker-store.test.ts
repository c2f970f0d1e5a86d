import { acquireDbOwnership } from '../../../src/main/store/db-owner.js';
import { WorkerStore } from '../../../src/main/store/worker-store.js';
import { marketStoreContract } from './market-store.contract.js';

// The gateway holds the owner file for the process and the writer worker opens the database.
marketStoreContract('worker-backed', async (settings) => {
  const ownership = await acquireDbOwnership(settings.dbPath);
  const store = new WorkerStore(settings);
  await store.whenReady();
  const close = store.close.bind(store);
  store.close = async () => {
    try {
      await close();
    } finally {
      await ownership.release();
    }
  };
  return store;
});
