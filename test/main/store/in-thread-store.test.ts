import { InThreadStore } from '../../support/in-thread-store.js';
import { marketStoreContract } from './market-store.contract.js';

marketStoreContract('in-thread', async (settings) => new InThreadStore(settings));
