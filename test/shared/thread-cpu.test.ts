import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadCpuSeconds } from '../../src/shared/thread-cpu.js';

const linux = existsSync('/proc/thread-self/schedstat');

/** A fixed amount of arithmetic (no clock involved): what it costs is CPU, however long it takes. */
const BURN = `let x = 0; for (let i = 0; i < 200_000_000; i++) x = (x + i * 7) % 1_000_003;`;

describe.skipIf(!linux)('threadCpuSeconds (skipped: no /proc/thread-self/schedstat, not Linux)', () => {
  it("grows with the calling thread's work", () => {
    const before = threadCpuSeconds()!;
    new Function(BURN)();
    const after = threadCpuSeconds()!;
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(before);
  });

  it("is the thread's own: a worker's work does not show on the thread that waits for it", async () => {
    const mainBefore = threadCpuSeconds()!;
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const { readFileSync } = require('node:fs');
       const cpu = () => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e9;
       const before = cpu();
       ${BURN}
       parentPort.postMessage(cpu() - before);`,
      { eval: true },
    );
    const workerSpent = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    const mainSpent = threadCpuSeconds()! - mainBefore;
    // The worker's loop is hundreds of ms of CPU; the main thread only waited for it.
    expect(workerSpent).toBeGreaterThan(0.05);
    expect(mainSpent).toBeLessThan(workerSpent / 2);
  });
});
