import type { WriterStats } from './contract.js';

/** Upper bounds of the rows-per-drain histogram: 1 (a lone live candle) up to bulk slices. */
const DRAIN_ROW_BUCKETS = [1, 10, 100, 1_000, 10_000, 100_000];

/** Counts what the writer does; the queue sizes are the writer's own and passed in on read. */
export class WriterCounters {
  private readonly stats: WriterStats = {
    pendingCandles: 0,
    pendingBatches: 0,
    commits: 0,
    committedRows: 0,
    commitFailures: 0,
    queueFullEvents: 0,
    lastDrainMs: 0,
    maxDrainMs: 0,
    lastDrainRows: 0,
    commitSeq: 0,
    checkpoints: 0,
    checkpointMs: 0,
    checkpointFailures: 0,
    drainRowsBuckets: Object.fromEntries([...DRAIN_ROW_BUCKETS.map((b) => [String(b), 0]), ['+Inf', 0]]),
  };

  /** Sequence number of the latest commit (0 before the first). */
  get commitSeq(): number {
    return this.stats.commitSeq;
  }

  /** A drain committed `rows` rows in `drainMs`; returns its commit sequence number. */
  committed(rows: number, drainMs: number): number {
    const s = this.stats;
    s.commits++;
    s.committedRows += rows;
    s.lastDrainMs = drainMs;
    s.lastDrainRows = rows;
    s.maxDrainMs = Math.max(s.maxDrainMs, drainMs);
    const bucket = DRAIN_ROW_BUCKETS.find((b) => rows <= b);
    s.drainRowsBuckets[bucket === undefined ? '+Inf' : String(bucket)]!++;
    return ++s.commitSeq;
  }

  checkpointed(ms: number): void {
    this.stats.checkpoints++;
    this.stats.checkpointMs += ms;
  }

  checkpointFailed(): void {
    this.stats.checkpointFailures++;
  }

  commitFailed(): void {
    this.stats.commitFailures++;
  }

  queueFull(): void {
    this.stats.queueFullEvents++;
  }

  snapshot(pendingCandles: number, pendingBatches: number): WriterStats {
    return { ...this.stats, pendingCandles, pendingBatches, drainRowsBuckets: { ...this.stats.drainRowsBuckets } };
  }
}
