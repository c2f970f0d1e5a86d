import type { SeriesId } from '../../domain/series-id.js';
import { decodeDemandReply, encodeDemandRequest } from '../../protocol/bus-messages.js';
import { fromWire, GatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { Bus, LeaseBucket } from '../bus/bus.js';
import { leaseKey, type ClusterNames } from '../bus/cluster-names.js';
import type { DemandGrant, IngestDemand } from '../hub/client-session.js';
import { streamable } from '../supervisor/worker-assignment.js';
import { encodeLeaseValue } from './lease-values.js';

const log = createLogger('cluster.demand');

/** Longest a subscribe waits for the ingest side: its tail coverage may fetch 2,000 bars first. */
const DEMAND_REQUEST_TIMEOUT_MS = 70_000;
/** Demand leases are rewritten this often per TTL while a series has subscribers here. */
const REFRESHES_PER_TTL = 3;

export interface BusDemandOptions {
  readonly bus: Bus;
  readonly names: ClusterNames;
  readonly node: string;
  /** The demand bucket: its TTL is ONDEMAND_IDLE_TTL_S (set by the first node that created it). */
  readonly demandBucket: LeaseBucket;
  readonly ondemandEnabled: boolean;
  /** Whitelisted series (when whitelist ingest is on): some ingest node always runs them. */
  readonly whitelist: readonly string[];
}

/**
 * A WebSocket subscribe's "ask the supervisor" (contract §3) on any node of a cluster: the first
 * subscriber of an on-demand series on this node asks the ingest nodes over request/reply (one of
 * them answers; capacity and unknown symbols keep their codes), then this node keeps the series'
 * demand lease alive while it has subscribers. After the last one leaves the lease lapses one
 * idle TTL later and the owning ingest node stops the job (contract §4's idle TTL, cluster-wide:
 * any node's subscribers keep it). With no ingest node up the demand is recorded anyway, and the
 * first ingest node to come takes the series.
 */
export class BusDemand implements IngestDemand {
  private readonly refs = new Map<string, number>();
  private readonly whitelist: ReadonlySet<string>;
  private timer: NodeJS.Timeout | undefined;
  requests = 0;

  constructor(private readonly opts: BusDemandOptions) {
    this.whitelist = new Set(opts.whitelist);
    const every = Math.max(100, Math.round(opts.demandBucket.ttlMs / REFRESHES_PER_TTL));
    this.timer = setInterval(() => this.refresh(), every);
    this.timer.unref();
  }

  /** Series this node holds demand for, with their local subscriber counts. */
  held(): Array<{ seriesId: string; refcount: number }> {
    return [...this.refs].map(([seriesId, refcount]) => ({ seriesId, refcount }));
  }

  async acquire(series: SeriesId, ondemandLeft: number): Promise<DemandGrant> {
    const id = series.raw;
    if (!streamable(id) || this.whitelist.has(id) || !this.opts.ondemandEnabled) return 'served';
    if (ondemandLeft <= 0) return 'connection_limit';
    const count = this.refs.get(id);
    if (count !== undefined) {
      this.refs.set(id, count + 1);
      return 'ondemand';
    }
    this.requests++;
    let grant: DemandGrant = 'ondemand';
    try {
      const reply = decodeDemandReply(
        await this.opts.bus.request(this.opts.names.demandSubject, encodeDemandRequest({ seriesId: id, node: this.opts.node }), DEMAND_REQUEST_TIMEOUT_MS),
      );
      if ('error' in reply) throw fromWire(reply.error);
      grant = reply.grant;
    } catch (err) {
      if (!(err instanceof GatewayError) || err.code !== 'unavailable') throw err;
      log.warn('no ingest node answered; recording the demand for the first one that comes', { seriesId: id, why: err.message });
    }
    if (grant !== 'ondemand') return grant;
    this.refs.set(id, (this.refs.get(id) ?? 0) + 1);
    this.put(id);
    return 'ondemand';
  }

  release(series: SeriesId): void {
    const count = this.refs.get(series.raw);
    if (count === undefined) return;
    // At zero the lease is no longer refreshed: it lapses one idle TTL later.
    if (count <= 1) this.refs.delete(series.raw);
    else this.refs.set(series.raw, count - 1);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private refresh(): void {
    for (const id of this.refs.keys()) this.put(id);
  }

  private put(seriesId: string): void {
    this.opts.demandBucket
      .put(leaseKey(seriesId), encodeLeaseValue({ series_id: seriesId, node: this.opts.node }))
      .catch((err: unknown) => log.warn('could not refresh a demand lease (bus away?)', { seriesId, error: (err as Error).message }));
  }
}
