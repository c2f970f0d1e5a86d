import { parseSeriesId } from '../../domain/series-id.js';
import type { ClusterBus } from '../bus/cluster-bus.js';
import type { Config } from '../config/settings.js';
import type { PrometheusText } from '../metrics/prometheus-text.js';
import type { IngestState } from '../server/routes/ops-routes.js';
import type { IngestPlugin, SeriesIngestView } from '../supervisor/ingest-plugin.js';
import type { IngestSupervisor } from '../supervisor/ingest-supervisor.js';
import { streamable } from '../supervisor/worker-assignment.js';
import { BusDemand } from './bus-demand.js';
import { DemandService } from './demand-service.js';
import { IngestOwnership } from './ingest-ownership.js';
import { LeaseMirror } from './lease-mirror.js';

export interface ClusterIngestOptions {
  readonly cluster: ClusterBus;
  readonly config: Config;
  readonly whitelist: readonly string[];
  /** This node's ingest supervisor (built with `leased`), or null on a read node. */
  readonly supervisor: IngestSupervisor | null;
}

/**
 * Ingest as a node of a cluster sees it (issue 14 §4), behind the same `IngestPlugin` the gateway
 * plugs a single node's supervisor into: subscribes go through `BusDemand` on every node; on an
 * ingest node the supervisor's jobs follow the leases this node holds (`IngestOwnership`), and it
 * answers other nodes' on-demand requests (`DemandService`).
 */
export async function startClusterIngest(opts: ClusterIngestOptions): Promise<IngestPlugin> {
  const { cluster, config, supervisor } = opts;
  const { bus, names, node } = cluster;
  const leaseTtlMs = config.clusterLeaseTtlS * 1000;
  const [owners, nodes, demandBucket] = await Promise.all([
    // Owner entries change only when a series changes hands; the node leases carry the TTL.
    bus.leases(names.ownersBucket, 0),
    bus.leases(names.nodesBucket, leaseTtlMs),
    bus.leases(names.demandBucket, config.ondemandIdleTtlS * 1000),
  ]);
  const whitelist = config.enableWhitelistIngest ? opts.whitelist.filter(streamable) : [];
  const demand = new BusDemand({ bus, names, node, demandBucket, ondemandEnabled: config.enableOndemandIngest, whitelist });
  if (!supervisor) return readNodeIngest(demand, opts.whitelist, config);

  const mirrors = { owners: new LeaseMirror(owners), demand: new LeaseMirror(demandBucket), nodes: new LeaseMirror(nodes) };
  await Promise.all([mirrors.owners.start(), mirrors.demand.start(), mirrors.nodes.start()]);
  const role = config.role;
  const ownership = new IngestOwnership(node, role, owners, nodes, mirrors, supervisor, whitelist, config.ondemandMaxJobs);
  const service = new DemandService({
    bus,
    names,
    node,
    demandBucket,
    ownership,
    checkListed: (id) => supervisor.knownListed(parseSeriesId(id)),
  });
  service.start();
  ownership.start();
  return {
    demand,
    async state(): Promise<IngestState> {
      const base = await supervisor.state();
      return { ...base, leases: leaseState(ownership, demand, nodes.ttlMs) };
    },
    async metrics(out: PrometheusText): Promise<void> {
      await supervisor.metrics(out);
      renderLeaseMetrics(out, node, ownership, service);
    },
    notReadyReasons: () => supervisor.notReadyReasons(),
    seriesStats: (id: string): Promise<SeriesIngestView | null> => supervisor.seriesStats(id),
    async stop(): Promise<void> {
      await ownership.pause();
      service.stop();
      demand.close();
      // Jobs stop and flush first, so whoever takes a series next starts from the newest head.
      await supervisor.stop();
      await ownership.releaseAll();
      for (const m of Object.values(mirrors)) m.stop();
    },
  };
}

/** A read node: no jobs of its own, only the demand of its subscribers. */
function readNodeIngest(demand: BusDemand, whitelist: readonly string[], config: Config): IngestPlugin {
  return {
    demand,
    state: () => ({
      jobs: [],
      whitelist_series_ids: whitelist,
      ondemand_enabled: config.enableOndemandIngest,
      whitelist_enabled: config.enableWhitelistIngest,
      leases: { owned: [], demand: demand.held() },
    }),
    metrics: () => undefined,
    notReadyReasons: () => [],
    stop: async () => demand.close(),
  };
}

function leaseState(ownership: IngestOwnership, demand: BusDemand, ttlMs: number): Record<string, unknown> {
  return {
    ttl_ms: ttlMs,
    renew_every_ms: ownership.tickMs,
    owned: ownership.holdings().map((h) => ({ series_id: h.seriesId, source: h.source, since: h.since })),
    ingest_nodes: ownership.ingestNodes(),
    demand: demand.held().map((d) => ({ series_id: d.seriesId, refcount: d.refcount })),
    events: (({ owned: _owned, ...events }) => events)(ownership.stats()),
  };
}

function renderLeaseMetrics(out: PrometheusText, node: string, ownership: IngestOwnership, service: DemandService): void {
  const P = 'kline_gateway_lease_';
  const s = ownership.stats();
  out
    .metric(
      `${P}owned`,
      'gauge',
      'Series whose ingest lease this node holds (1 per series).',
      ownership.holdings().map((h) => [{ series_id: h.seriesId, node, source: h.source }, 1]),
    )
    .single(`${P}owned_series`, 'gauge', 'How many series this node ingests under a lease.', s.owned)
    .metric(`${P}events_total`, 'counter', 'Leases taken, lost (another node holds it, or not renewed for a TTL) and released.', [
      [{ event: 'taken' }, s.taken],
      [{ event: 'lost' }, s.lost],
      [{ event: 'released' }, s.released],
    ])
    .single(`${P}renew_failures_total`, 'counter', 'Node-lease renewals that could not reach NATS.', s.renewFailures)
    .metric(`${P}demand_requests_total`, 'counter', 'On-demand requests this ingest node answered (refused = at its ONDEMAND_MAX_JOBS).', [
      [{ outcome: 'answered' }, service.requests],
      [{ outcome: 'refused' }, service.refused],
      [{ outcome: 'relayed' }, service.relayed],
    ]);
}
