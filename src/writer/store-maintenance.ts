import { createLogger } from '../shared/log.js';
import type { CandleStore } from './candle-store.js';
import type { WriterCounters } from './writer-stats.js';

const log = createLogger('writer');
/** At most one warning per this interval while checkpoints keep failing (no log flood). */
const WARN_INTERVAL_MS = 5_000;
/**
 * How long the writer must have had nothing to do before the store's idle housekeeping runs. Long
 * enough that steady live ingest (a drain every few ms) and a history import (slices back to back)
 * never see it — their log is folded in only at the store's busy bound — short enough that a
 * quiet moment is used at once.
 */
export const IDLE_MAINTENANCE_DELAY_MS = 100;

/**
 * The store's housekeeping between drains (a SQLite WAL checkpoint), driven by the writer core.
 * After every drain the store checks its busy bound (a writer that never idles must still bound
 * its log); once the writer has been idle for `idleDelayMs`, it checks the lower idle bound. A
 * checkpoint runs after the drain's report went out, so it never delays the candles just
 * committed; a candle arriving during it waits for it, which the bounds make rare.
 */
export class StoreMaintenance {
  private idleTimer: NodeJS.Timeout | null = null;
  private lastWarnAt = -Infinity;

  constructor(
    private readonly store: CandleStore,
    private readonly counters: WriterCounters,
    /** True when no drain runs, nothing is queued and the writer is not closing. */
    private readonly idle: () => boolean,
    private readonly idleDelayMs = IDLE_MAINTENANCE_DELAY_MS,
  ) {}

  afterDrain(queued: boolean): void {
    if (!this.store.maintain) return;
    this.run(true);
    if (queued) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        if (this.idle()) this.run(false);
      }, this.idleDelayMs);
      this.idleTimer.unref();
    }
  }

  /** Cancels a pending idle check (the writer is closing; closing the store folds the log in). */
  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private run(queued: boolean): void {
    const started = performance.now();
    try {
      const bytes = this.store.maintain?.(queued);
      if (bytes == null) return;
      const ms = performance.now() - started;
      this.counters.checkpointed(ms);
      log.debug('write-ahead log checkpointed', { wal_bytes: bytes, ms: Math.round(ms * 10) / 10, idle: !queued });
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
