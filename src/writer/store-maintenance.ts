import { createLogger } from '../shared/log.js';
import type { CandleStore } from './candle-store.js';
import type { WriterCounters } from './writer-stats.js';

const log = createLogger('writer');
/** At most one warning per this interval while checkpoints keep failing (no log flood). */
const WARN_INTERVAL_MS = 5_000;

/**
 * The store's housekeeping between drains (a SQLite WAL checkpoint), run by the writer core:
 * after a drain with more queued only when it cannot wait (the store's busy bound); otherwise on
 * the turn after the drain — once the event loop has delivered what was already on the ports —
 * and only if the writer is still idle then, so a checkpoint never holds a candle that had
 * arrived. One that arrives during it waits; at low load that is rare (see sqlite-wal.ts).
 */
export class StoreMaintenance {
  private scheduled = false;
  private lastWarnAt = -Infinity;

  constructor(
    private readonly store: CandleStore,
    private readonly counters: WriterCounters,
    /** True when no drain runs, nothing is queued and the writer is not closing. */
    private readonly idle: () => boolean,
  ) {}

  afterDrain(queued: boolean): void {
    if (!this.store.maintain) return;
    if (queued) return this.run(true);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.idle()) this.run(false);
    });
  }

  private run(queued: boolean): void {
    const started = performance.now();
    try {
      const bytes = this.store.maintain?.(queued);
      if (bytes == null) return;
      const ms = performance.now() - started;
      this.counters.checkpointed(ms);
      log.debug('write-ahead log checkpointed', { wal_bytes: bytes, ms: Math.round(ms * 10) / 10, queued });
    } catch (err) {
      // Nothing committed is at risk: the log still holds it, and the next drain tries again.
      this.counters.checkpointFailed();
      const now = performance.now();
      if (now - this.lastWarnAt < WARN_INTERVAL_MS) return;
      this.lastWarnAt = now;
      log.warn('write-ahead log checkpoint failed; retrying after the next drain', { error: this.store.explain(err) });
    }
  }
}
