import type { LeaseBucket } from '../bus/bus.js';
import { leaseKey } from '../bus/cluster-names.js';
import type { JobSource } from '../supervisor/job-table.js';
import type { LeaseMirror } from './lease-mirror.js';
import { decodeLeaseValue, encodeLeaseValue, type OwnerValue } from './lease-values.js';
import type { NodeLiveness } from './node-liveness.js';

/** An owner entry as the mirror holds it: whom it names, and its revision. */
export type MirroredOwner = Partial<OwnerValue> & { readonly revision: number };

/**
 * The owners bucket as one ingest node uses it: an entry per series naming its ingest node, kept
 * until deleted (no TTL). Reads come from the mirror (the bucket's watch: a hint that may lag);
 * every write is a compare-and-set, so two nodes never both believe they wrote the last one.
 */
export class OwnerEntries {
  constructor(
    private readonly bucket: LeaseBucket,
    private readonly mirror: LeaseMirror,
    private readonly node: string,
    private readonly liveness: NodeLiveness,
  ) {
    if (bucket.ttlMs !== 0) throw new Error(`the owners bucket must keep its entries (it has a TTL of ${bucket.ttlMs} ms)`);
  }

  mirrored(seriesId: string): MirroredOwner | null {
    const entry = this.mirror.get(leaseKey(seriesId), 0); // no TTL: any time is fresh
    if (!entry) return null;
    return { ...decodeLeaseValue<OwnerValue>(entry.value), revision: entry.revision };
  }

  /**
   * Writes our entry for a free series: created when there is none, or rewritten by
   * compare-and-set over one naming this node (before a restart or a lapse) or a node whose lease
   * is gone (confirmed with the bucket, not the mirror). The revision, or null when another node
   * holds it or won the race.
   */
  async claim(seriesId: string, source: JobSource): Promise<number | null> {
    const key = leaseKey(seriesId);
    const value = encodeLeaseValue({ node: this.node, series_id: seriesId, source });
    const current = await this.bucket.get(key);
    if (current === null) return this.bucket.create(key, value);
    const owner = decodeLeaseValue<OwnerValue>(current.value)?.node;
    if (owner !== this.node && typeof owner === 'string' && !(await this.liveness.confirmedDead(owner))) return null;
    return this.bucket.update(key, value, current.revision);
  }

  /** Deletes our entry if it is still `revision` (had another node taken the series, its entry stays). */
  async remove(seriesId: string, revision: number): Promise<void> {
    await this.bucket.delete(leaseKey(seriesId), revision).catch(() => false);
  }
}
