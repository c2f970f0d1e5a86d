import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Locates a worker entry in `workers/` whether we run compiled (dist/src/main/threads/*.js →
 * dist/workers/<name>.js) or from TypeScript source under vitest/tsx (src/main/threads/*.ts →
 * workers/<name>.ts through workers/ts-shim.mjs).
 */
export interface WorkerEntry {
  /** File to hand to `new Worker` or piscina's `filename`. */
  readonly filename: string;
  /** Extra workerData the entry needs (the TS path for the shim); merge it into yours. */
  readonly workerData: Record<string, unknown>;
}

const runningFromSource = import.meta.url.endsWith('.ts');

export function workerEntry(name: string): WorkerEntry {
  // A module given by URL (a test's own worker) rather than a name in workers/.
  if (name.startsWith('file:')) {
    const shim = new URL('../../../workers/ts-shim.mjs', import.meta.url).pathname;
    return name.endsWith('.ts') ? { filename: shim, workerData: { __tsEntry: name } } : { filename: new URL(name).pathname, workerData: {} };
  }
  if (runningFromSource) {
    const ts = new URL(`../../../workers/${name}.ts`, import.meta.url).href;
    return { filename: new URL('../../../workers/ts-shim.mjs', import.meta.url).pathname, workerData: { __tsEntry: ts } };
  }
  return { filename: new URL(`../../../workers/${name}.js`, import.meta.url).pathname, workerData: {} };
}

/** Starts `workers/<name>` (or the module at a `file:` URL) with `data` as workerData (plus what the entry needs). */
export function spawnWorker(name: string, data: Record<string, unknown>, options: Omit<WorkerOptions, 'workerData'> = {}): Worker {
  const entry = workerEntry(name);
  return new Worker(entry.filename, { ...options, workerData: { ...data, ...entry.workerData } });
}
