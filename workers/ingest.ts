/**
 * Ingest worker: hosts Binance series jobs. Thin entry point over IngestWorkerService
 * (src/ingest/ingest-worker-service.ts), which unit tests run in-thread. The main-thread side is
 * src/main/supervisor/ingest-worker-client.ts; the contract
 * between them is src/ingest/contract.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { IngestWorkerInit, OlderPagesAhead, StoredHead } from '../src/ingest/contract.js';
import { IngestWorkerService } from '../src/ingest/ingest-worker-service.js';
import { setLogLevel } from '../src/shared/log.js';
import { expose } from '../src/shared/comlink.js';
import { reportReady } from '../src/shared/worker-handshake.js';

const { formingPort, ...data } = workerData as IngestWorkerInit;
if (data.logLevel) setLogLevel(data.logLevel);
const port = parentPort!;

const service = new IngestWorkerService(data, formingPort);

expose(
  {
    start: (seriesId: string, head: number | null) => service.start(seriesId, head),
    stop: (seriesId: string) => service.stop(seriesId),
    attachWriter: (p: MessagePort) => service.attachWriter(p),
    fill: (seriesId: string, from: number, to: number | null) => service.fill(seriesId, from, to),
    fetchClosed: (seriesId: string, from: number, to: number, json?: boolean, aheadId?: number) => service.fetchClosed(seriesId, from, to, json, aheadId),
    fetchLatest: (seriesId: string, count: number, json?: boolean, ahead?: OlderPagesAhead) => service.fetchLatest(seriesId, count, json, ahead),
    tailStoredHead: (seriesId: string, aheadId: number, head: StoredHead) => service.tailStoredHead(seriesId, aheadId, head),
    stats: () => service.stats(),
    close: async () => {
      await service.close();
      formingPort.close();
    },
  },
  port,
);
reportReady(port);
