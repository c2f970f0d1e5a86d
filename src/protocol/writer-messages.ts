import type { WireError } from '../errors.js';

/**
 * Messages on the writer's data ports (architecture.md "data plane"). Candles always travel as
 * packed Float64Arrays (`[t,o,h,l,c,v] × n`, see domain/candle.ts) whose buffers are transferred,
 * never cloned.
 */

/** Producer → writer: closed candles to store. One message may carry several series. */
export interface ClosedBatchMessage {
  readonly t: 'closed';
  /** Producer-local sequence number, echoed in the ack. */
  readonly seq: number;
  /** Series of each segment, in order. */
  readonly series: readonly string[];
  /** Candles in each segment; segments are laid out back to back in `data`. */
  readonly counts: readonly number[];
  readonly data: Float64Array;
  /** Publish the committed candles to WebSocket subscribers (false: dev batch `publish_ws:false`). */
  readonly publish: boolean;
  /**
   * Bulk history (import/bootstrap): written in bounded slices between live drains so an import
   * never stalls live ingest (issue 4).
   */
  readonly bulk?: boolean;
}

/** Writer → producer, once the batch is committed (or failed and kept for retry). */
export interface BatchAckMessage {
  readonly t: 'ack';
  readonly seq: number;
  readonly ok: boolean;
  /** Candles of this batch now durable (0 when !ok). */
  readonly committed: number;
  readonly error?: WireError;
}

export type ProducerInbound = BatchAckMessage;
export type WriterInbound = ClosedBatchMessage;

/** Candles of one series committed in one transaction. */
export interface CommittedSegment {
  readonly seriesId: string;
  /** Sorted by time, unique times, exactly the values now stored. */
  readonly data: Float64Array;
  readonly publish: boolean;
  /** Newest stored candle_time of the series after this commit. */
  readonly head: number;
}

/** Writer → main thread after every commit: what is now durable and may be published. */
export interface CommittedMessage {
  readonly t: 'committed';
  /** Increases by one per commit; reads carry the sequence they saw (tail cache coherence). */
  readonly commitSeq: number;
  readonly segments: readonly CommittedSegment[];
  /** `seq`s of batches from the main thread's own port covered by this commit. */
  readonly mainAcks: readonly number[];
  readonly rows: number;
  readonly drainMs: number;
}

/** Writer → main thread when a commit failed; the batches stay queued and are retried. */
export interface CommitFailedMessage {
  readonly t: 'commit_failed';
  readonly mainSeqs: readonly number[];
  readonly error: WireError;
}

export type MainInbound = CommittedMessage | CommitFailedMessage;

/** Result of a read served by the writer between transactions. */
export interface ReadResult {
  readonly data: Float64Array;
  /** Newest stored candle_time of the series, or null when it has none. */
  readonly head: number | null;
  /** Commit sequence the read observed. */
  readonly commitSeq: number;
}
