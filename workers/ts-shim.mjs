// Runs a TypeScript worker entry from source (tests, `npm run dev`): registers tsx inside the
// worker thread, then imports the real entry. Node 20 does not apply `--import tsx` from a
// Worker's execArgv, so this shim is the portable way. Production runs compiled JS from dist/.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const mod = await import(workerData.__tsEntry);
// piscina calls the default export of its filename; re-export the entry's handler for it.
export default mod.default;
