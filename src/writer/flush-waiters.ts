import type { QueuedBatch } from './writer-queue.js';

/**
 * Callers of `flush()`, each waiting until every batch it saw queued or in flight is committed.
 * A failed commit puts batches back in the queue as the same objects, so a waiter simply keeps
 * waiting for them.
 */
export class FlushWaiters {
  private readonly waiters: Array<{ waitingFor: Set<QueuedBatch>; resolve: () => void }> = [];

  /** Resolves when all of `batches` are committed (at once when there are none). */
  wait(batches: Iterable<QueuedBatch>): Promise<void> {
    const waitingFor = new Set(batches);
    if (waitingFor.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ waitingFor, resolve }));
  }

  /** These batches are committed. */
  settle(committed: readonly QueuedBatch[]): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      for (const p of committed) waiter.waitingFor.delete(p);
      if (waiter.waitingFor.size === 0) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}
