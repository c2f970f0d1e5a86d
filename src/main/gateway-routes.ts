import type { ClusterBus } from './bus/cluster-bus.js';
import type { GatewayCore, GatewayPlugins } from './gateway.js';
import type { Holes } from './holes/holes.js';
import type { TailCache } from './hub/tail-cache.js';
import { CombinedBackfillStatus, IngestBackfillStatus, NO_BACKFILL, type BackfillStatus } from './market/backfill-status.js';
import type { GatewayLatency } from './metrics/latency-metrics.js';
import type { SeriesActivity } from './metrics/series-activity.js';
import type { Route } from './server/http-router.js';
import { healthRoutes } from './server/routes/health-routes.js';
import { livePageRoutes } from './server/routes/live-page-routes.js';
import { marketRoutes } from './server/routes/market-routes.js';
import { opsRoutes } from './server/routes/ops-routes.js';
import { topMarketsRoutes } from './server/routes/top-markets-routes.js';
import type { Transport } from './server/transport.js';
import type { WorkerStore } from './store/worker-store.js';
import type { IngestPlugin } from './supervisor/ingest-plugin.js';
import type { FormingSink } from './supervisor/ingest-worker-client.js';
import type { Clock } from '../shared/clock.js';

/** What the HTTP routes read: the gateway's parts, once they exist. */
export interface GatewayRouteDeps {
  readonly core: GatewayCore;
  readonly plugins: GatewayPlugins;
  readonly holes: Holes;
  /** The writer's own store (stats, readiness), under any cluster wrapper `core.store` may be. */
  readonly writer: WorkerStore;
  readonly cache: TailCache;
  readonly forming: FormingSink;
  readonly ingest: IngestPlugin | null;
  readonly cluster: ClusterBus | null;
  /** The transport starts after the routes are built; metrics read it once it runs. */
  readonly transport: () => Transport | null;
  readonly clock: Clock;
  readonly activity: SeriesActivity;
  readonly latency: GatewayLatency;
  /** `"<route> <status>"` → count, filled by the router. */
  readonly httpResponses: Map<string, number>;
}

/** Every HTTP route of a gateway: market, ops (metrics, readiness, ingest state), health, the live page, plugins'. */
export function gatewayRoutes(deps: GatewayRouteDeps): Route[] {
  const { core, holes, writer, cache, ingest, cluster } = deps;
  const { config } = core;
  return [
    ...marketRoutes({
      reader: core.reader,
      scrollBack: holes.scrollBack,
      store: core.store,
      forming: deps.forming,
      whitelist: () => core.whitelist,
      devApi: () => config.enableDevApi,
      debugApi: () => config.enableDebugApi,
    }),
    ...opsRoutes({
      debugApi: () => config.enableDebugApi,
      ingestState: async () => {
        const state = (await ingest?.state()) ?? {
          jobs: [],
          whitelist_series_ids: core.whitelist,
          ondemand_enabled: config.enableOndemandIngest,
          whitelist_enabled: config.enableWhitelistIngest,
        };
        return cluster ? { ...state, cluster: await cluster.state() } : state;
      },
      // Writer down, commits failing (disk full), bus away: /readyz says why until it is back.
      notReadyReasons: () => [...writer.notReadyReasons(), ...(ingest?.notReadyReasons() ?? []), ...(cluster?.notReadyReasons() ?? [])],
      metrics: {
        httpResponses: deps.httpResponses,
        hub: () => core.hub.stats(),
        wsClients: () => deps.transport()?.webSocketCount ?? 0,
        cache: () => cache.stats,
        writer: () => writer.stats(),
        writerInFlight: () => writer.inFlightCandles,
        seriesActivity: deps.activity,
        marketStreams: () => core.markets.streams.stats(),
        latency: deps.latency,
        extra: async (out) => {
          holes.metrics.render(out);
          await ingest?.metrics(out);
          await cluster?.metrics(out);
        },
      },
    }),
    ...topMarketsRoutes(core.markets),
    ...healthRoutes({
      store: core.store,
      reader: core.reader,
      clock: deps.clock,
      backfill: healthBackfill(ingest, holes.coverage),
      debugApi: () => config.enableDebugApi,
      healthV2: () => config.enableKlineHealthV2,
      recentSeconds: config.klineHealthBackfillRecentSeconds,
    }),
    ...livePageRoutes(deps.plugins.webDir),
    ...(deps.plugins.routes?.(core) ?? []),
  ];
}

/** Series health's backfill fields: the ingest jobs' gap fills and tail coverage runs, whichever apply. */
function healthBackfill(ingest: IngestPlugin | null, coverage: Holes['coverage']): BackfillStatus {
  const fromIngest = ingest?.seriesStats ? new IngestBackfillStatus((id) => ingest.seriesStats!(id)) : NO_BACKFILL;
  return coverage ? new CombinedBackfillStatus(fromIngest, coverage) : fromIngest;
}
