import type { LeaseBucket } from '../bus/bus.js';
import type { LeaseMirror } from './lease-mirror.js';
import { decodeLeaseValue, type NodeValue } from './lease-values.js';

/**
 * Which nodes of the cluster are alive: every node with ingest ownership puts its entry in the
 * nodes bucket (TTL = the lease TTL) once per lease tick — its node lease. An entry younger than
 * the TTL by the local clock is alive. Ownership of a series is an owner entry naming a node
 * whose node lease is alive (ingest-ownership.ts), so a node's death frees all its series at once,
 * one TTL after its last renewal.
 *
 * The mirror (the bucket's watch, judged by the local clock) answers the everyday questions and is
 * only a hint; before a node takes series from one it believes dead, `confirmedDead` asks the
 * bucket itself, so neither a mirror that lags (at start, after a reconnect) nor a skewed clock
 * makes a live node's series look free.
 */
export class NodeLiveness {
  constructor(
    private readonly mirror: LeaseMirror,
    private readonly bucket: LeaseBucket,
    private readonly now: () => number,
  ) {}

  get ttlMs(): number {
    return this.bucket.ttlMs;
  }

  isAlive(node: string): boolean {
    return this.mirror.get(node, this.now()) !== null;
  }

  /**
   * True when the bucket has no entry for `node`: nats-server removes it a TTL after its last
   * write, by the server's clock. Our clock is not asked, so a node whose clock runs ahead never
   * takes a live node's series (it only wastes a lookup).
   */
  async confirmedDead(node: string): Promise<boolean> {
    return (await this.bucket.get(node)) === null;
  }

  /** The live ingest nodes as their last renewal reported them (ingest_state's `ingest_nodes`). */
  ingestNodes(): Array<Partial<NodeValue>> {
    const out: Array<Partial<NodeValue>> = [];
    for (const value of this.liveValues()) if (isIngest(value)) out.push(value);
    return out;
  }

  /**
   * The names of the live ingest nodes, `self` included (when `selfCounts`), sorted; with
   * `ondemandRoom` only those that reported room for one more on-demand series.
   */
  liveIngestNodes(self: string, selfCounts: boolean, ondemandRoom: boolean): string[] {
    const nodes = new Set<string>();
    if (selfCounts) nodes.add(self);
    for (const value of this.liveValues()) {
      if (value.node === self || !isIngest(value) || typeof value.node !== 'string') continue;
      const room = !value.max_ondemand || (value.ondemand ?? 0) < value.max_ondemand;
      if (!ondemandRoom || room) nodes.add(value.node);
    }
    return [...nodes].sort();
  }

  private liveValues(): Array<Partial<NodeValue>> {
    const now = this.now();
    const values: Array<Partial<NodeValue>> = [];
    for (const key of this.mirror.freshKeys(now)) {
      const value = decodeLeaseValue<NodeValue>(this.mirror.get(key, now)!.value);
      if (value) values.push({ ...value, node: key });
    }
    return values;
  }
}

function isIngest(value: Partial<NodeValue>): boolean {
  return value.role === 'ingest' || value.role === 'all';
}
