import { InThreadStore } from '../../support/in-thread-store.js';
import { marketStoreContract } from './market-store.contract.js';

marketStoreContract('in-thread', (settings) => InThreadStore.open(settings));
