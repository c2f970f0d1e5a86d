import type { JobSource } from '../supervisor/job-table.js';
import type { LeaseMirror } from './lease-mirror.js';

/** What IngestOwnership (ingest-ownership.ts) drives, reads and reports: its seams, for its callers and tests. */

/** What the ownership drives on this node: the ingest supervisor's jobs. */
export interface LeasedJobs {
  hold(seriesId: string, source: JobSource): Promise<void>;
  drop(seriesId: string): void;
}

export interface OwnershipBuckets {
  /** Series → owning node; no TTL: entries change only when a series is taken or released. */
  readonly owners: LeaseMirror;
  readonly demand: LeaseMirror;
  /** Node → alive (its node lease, TTL = the lease TTL). */
  readonly nodes: LeaseMirror;
}

export interface OwnershipStats {
  readonly owned: number;
  readonly taken: number;
  readonly lost: number;
  readonly released: number;
  readonly renewFailures: number;
}
