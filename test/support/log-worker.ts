// Worker thread for test/shared/log.test.ts: takes its level from workerData the way
// workers/writer.ts and workers/ingest.ts do, then logs an error with a cause and a debug line.
import { workerData } from 'node:worker_threads';
import { createLogger, setLogLevel, type LogLevel } from '../../src/shared/log.js';

const { logLevel } = workerData as { logLevel: LogLevel };
setLogLevel(logLevel);
const log = createLogger('worker-test');
log.debug('debug line', { n: 1 });
log.error('worker failed', { error: new Error('outer in worker', { cause: new Error('inner in worker') }) });
