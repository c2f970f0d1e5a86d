/**
 * Writer worker: the only thread that writes to the store (the SQLite connection, or PostgreSQL's
 * write connection). Thin entry point over WriterService (src/writer/writer-service.ts), which
 * unit tests run in-thread. Its contract with the main thread is src/writer/contract.ts.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { expose, transfer } from '../src/shared/comlink.js';
import type { ClosedBatchMessage, ReadResult, WriterWorkerData } from '../src/writer/contract.js';
import { WriterService } from '../src/writer/writer-service.js';
import { setLogLevel } from '../src/shared/log.js';
import { reportReady, reportStartFailed } from '../src/shared/worker-handshake.js';

const { settings, mainPort, logLevel } = workerData as WriterWorkerData;
if (logLevel) setLogLevel(logLevel);
const port = parentPort!;

let service: WriterService | null = null;
try {
  service = await WriterService.open(settings, (msg, buffers) => port.postMessage(msg, buffers));
} catch (err) {
  // Reported, not thrown: the thread then ends on its own once the message is delivered.
  reportStartFailed(port, err);
  mainPort.close();
}

if (service) serve(service);

function serve(service: WriterService): void {
  mainPort.on('message', (msg: ClosedBatchMessage) => service.acceptMain(msg));

  // Reads hand their result buffer over instead of copying it.
  const withTransfer = async (read: Promise<ReadResult>): Promise<ReadResult> => {
    const r = await read;
    return transfer(r, [r.data.buffer as ArrayBuffer]);
  };

  expose(
    {
      attachProducer: (name: string, p: MessagePort) => service.attachProducer(name, p),
      detachProducer: (name: string) => service.detachProducer(name),
      tail: (s: string, limit: number) => withTransfer(service.tail(s, limit)),
      after: (s: string, since: number, limit: number) => withTransfer(service.after(s, since, limit)),
      before: (s: string, before: number, limit: number) => withTransfer(service.before(s, before, limit)),
      between: (s: string, from: number, to: number, limit: number) => withTransfer(service.between(s, from, to, limit)),
      head: (s: string) => service.head(s),
      count: (s?: string, atMost?: number) => service.count(s, atMost),
      summary: (s: string, tf: number, maxRecentGaps: number) => service.summary(s, tf, maxRecentGaps),
      stats: () => service.stats(),
      flush: () => service.flush(),
      close: async () => {
        await service.close();
        mainPort.close();
      },
    },
    port,
  );
  reportReady(port);
}
