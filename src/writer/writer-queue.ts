import { CANDLE_STRIDE } from '../domain/candle.js';
import type { ClosedBatchMessage } from './contract.js';

/**
 * Bulk rows written per transaction before live batches get their turn again (issue 4): ~40-80 ms
 * of SQLite work here, which bounds how long a live candle can wait behind an import. Larger slices
 * (100k, 200k) measured no faster end to end (bench/import.ts): commits are not the bottleneck.
 */
const BULK_ROWS_PER_DRAIN = 50_000;

export interface QueuedBatch {
  readonly source: string;
  readonly msg: ClosedBatchMessage;
  readonly candles: number;
}

/**
 * The writer's one queue, over every producer (main thread, ingest workers, imports), and its one
 * count of pending candles: the bound the writer enforces (writer-core.ts). Batches leave it only
 * when committed; a failed commit puts them back in front, in their order.
 */
export class WriterQueue {
  private live: QueuedBatch[] = [];
  private bulk: QueuedBatch[] = [];
  private lastTakeHadBulk = false;
  private candles = 0;

  /** Candles accepted and not yet committed. */
  get pendingCandles(): number {
    return this.candles;
  }

  get batches(): number {
    return this.live.length + this.bulk.length;
  }

  get isEmpty(): boolean {
    return this.batches === 0;
  }

  push(source: string, msg: ClosedBatchMessage): QueuedBatch {
    const batch: QueuedBatch = { source, msg, candles: msg.data.length / CANDLE_STRIDE };
    (msg.bulk ? this.bulk : this.live).push(batch);
    this.candles += batch.candles;
    return batch;
  }

  /** Everything queued now (flush waits for these). */
  all(): QueuedBatch[] {
    return [...this.live, ...this.bulk];
  }

  /**
   * One drain's share: every live batch plus a bounded slice of bulk ones. Live batches never
   * queue behind two bulk slices: right after a drain with bulk, a drain with live batches takes
   * only those. Bulk still gets every other drain under constant live load.
   */
  take(): QueuedBatch[] {
    const taken = this.live;
    this.live = [];
    let bulkRows = 0;
    let bulkTaken = 0;
    if (taken.length === 0 || !this.lastTakeHadBulk) {
      while (bulkTaken < this.bulk.length && (bulkTaken === 0 || bulkRows + this.bulk[bulkTaken]!.candles <= BULK_ROWS_PER_DRAIN)) {
        bulkRows += this.bulk[bulkTaken]!.candles;
        bulkTaken++;
      }
    }
    this.lastTakeHadBulk = bulkTaken > 0;
    taken.push(...this.bulk.splice(0, bulkTaken));
    return taken;
  }

  /** The batches of a failed commit go back in front, in their original order: nothing accepted is dropped. */
  putBack(taken: readonly QueuedBatch[]): void {
    this.live = [...taken.filter((p) => !p.msg.bulk), ...this.live];
    this.bulk = [...taken.filter((p) => p.msg.bulk), ...this.bulk];
  }

  /** The batches of a successful commit leave the count. */
  committed(taken: readonly QueuedBatch[]): void {
    for (const p of taken) this.candles -= p.candles;
  }
}
