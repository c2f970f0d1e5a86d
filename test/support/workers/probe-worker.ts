/**
 * A worker thread for WorkerHandle's own tests (test/main/threads/worker-handle.test.ts): it
 * starts or refuses to start as its workerData says, and offers calls that answer, answer with a
 * large result, never answer, or end the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { expose } from '../../../src/shared/comlink.js';
import { GatewayError } from '../../../src/shared/errors.js';
import { reportReady, reportStartFailed } from '../../../src/shared/worker-handshake.js';

export interface ProbeApi {
  echo(value: number): number;
  /** A fresh object of `kib` KiB (retention tests watch whether the caller's copy is kept). */
  payload(kib: number): { bytes: Float64Array };
  /** Never settles. */
  hang(): Promise<never>;
  /** Ends the thread with `code`. */
  exit(code: number): void;
  /** Posts a tagged notice besides the comlink replies. */
  notice(text: string): void;
}

const port = parentPort!;
const mode = (workerData as { mode?: 'ok' | 'refuse' | 'throw' }).mode ?? 'ok';

if (mode === 'refuse') {
  reportStartFailed(port, new GatewayError('store_failed', 'probe refused to start: /tmp/x.db: EACCES (permission denied)'));
} else if (mode === 'throw') {
  throw new Error('probe blew up at start-up');
} else {
  const api: ProbeApi = {
    echo: (value) => value,
    payload: (kib) => ({ bytes: new Float64Array((kib * 1024) / 8) }),
    hang: () => new Promise<never>(() => undefined),
    exit: (code) => process.exit(code),
    notice: (text) => port.postMessage({ t: 'notice', text }),
  };
  expose(api, port);
  reportReady(port);
}
