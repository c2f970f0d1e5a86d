import type { Config } from './config/settings.js';
import type { BackfillService } from './holes/backfill-service.js';
import { createHoles, type Holes } from './holes/holes.js';
import { CandleReader } from './hub/candle-reader.js';
import { NO_INGEST_DEMAND, type ClientSession } from './hub/client-session.js';
import { MarketHub } from './hub/market-hub.js';
import { TailCache } from './hub/tail-cache.js';
import type { HistoryBootstrapper } from './history/bootstrapper.js';
import { startHistory, type History } from './history/history-service.js';
import { redactUrl } from '../shared/db-url.js';
import { phaseTracer } from '../shared/phase-trace.js';
import { createLogger } from '../shared/log.js';
import type { WriterSettings } from '../writer/contract.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { createRestBlocks, type RestBlockBuffers } from '../exchange/binance/shared-rest-block.js';
import { createMarketServices, type MarketServices } from './market/market-services.js';
import { GatewayLatency } from './metrics/latency-metrics.js';
import { SeriesActivity } from './metrics/series-activity.js';
import { CorsPolicy } from './server/cors.js';
import { HttpRouter, REQUEST_HEADERS, type Route } from './server/http-router.js';
import { gatewayRoutes } from './gateway-routes.js';
import { stopGracefully } from './gateway-stop.js';
import { warnIfWritesOpen } from './server/open-writes-warning.js';
import type { Transport } from './server/transport.js';
import { hostAllowList } from './server/host-allow-list.js';
import { startUwsTransport } from './server/uws-transport.js';
import { wsMarketRoute } from './server/ws-market-route.js';
import type { MarketStore } from './store/market-store.js';
import { ClusterBus } from './bus/cluster-bus.js';
import { ClusterStore } from './bus/cluster-store.js';
import { startClusterIngest } from './cluster/cluster-ingest.js';
import type { IngestSupervisor } from './supervisor/ingest-supervisor.js';
import type { FormingSink } from './supervisor/ingest-worker-client.js';
import type { CommittedMessage } from '../writer/contract.js';
import { acquireStoreOwnership } from './store/store-ownership.js';
import { WorkerStore } from './store/worker-store.js';
import { writerSettings } from './store/writer-settings.js';
import type { BeforeJobStart, IngestPlugin } from './supervisor/ingest-plugin.js';
import { liveIngestEnabled, startLiveIngest } from './supervisor/live-ingest.js';
import { loadWhitelist } from './supervisor/whitelist.js';

const log = createLogger('gateway');
/** Benchmarks' per-phase stamps (off unless KLINE_GATEWAY_PHASE_TRACE=1). */
const trace = phaseTracer('main');

/** Pieces of a running gateway that optional subsystems (ingest, history, web page) plug into. */
export interface GatewayCore {
  readonly config: Config;
  readonly store: MarketStore;
  readonly hub: MarketHub;
  readonly reader: CandleReader;
  /** Fills holes from the store, then the exchange once ingest runs (src/main/holes/). */
  readonly backfill: BackfillService;
  readonly whitelist: readonly string[];
  /**
   * freqtrade history (TRADE_CANVAS_MARKET_HISTORY_SOURCE=freqtrade), else null. The ingest
   * supervisor calls `history.ensure(seriesId)` when it starts a job and registers
   * `history.onBootstrapped` to fill file end → now from the exchange.
   */
  readonly history: HistoryBootstrapper | null;
  /**
   * The exchange's symbol lists and the market list (src/main/market/), on the main thread's share
   * of the REST budget. `markets.symbols.knownSymbol(market, symbol)` checks a symbol is listed.
   */
  readonly markets: MarketServices;
  /** One Retry-After per Binance REST host for the whole process (shared memory, every thread). */
  readonly restBlocks: RestBlockBuffers;
}

export interface GatewayPlugins {
  /**
   * Live exchange ingest, created once the store and hub exist. Default: the Binance ingest
   * supervisor (src/main/supervisor/) when whitelist or on-demand ingest is enabled. A plugin
   * that can fetch from an exchange connects it with `core.backfill.connectExchange`.
   */
  readonly ingest?: (core: GatewayCore) => Promise<IngestPlugin>;
  /** Runs before each ingest job starts (replaces the default: tail coverage, else the history bootstrap). */
  readonly beforeJobStart?: (core: GatewayCore) => BeforeJobStart;
  /** Extra HTTP routes. */
  readonly routes?: (core: GatewayCore) => Route[];
  /** Where the built live page is (default dist/web of this checkout). */
  readonly webDir?: string;
  /**
   * The wall clock of the market list (cache ages, stream polls and pings, `generated_at_ms`) and
   * of series health's `now`; tests pass a ManualClock. Default: the system clock.
   */
  readonly clock?: Clock;
}

export interface Gateway extends GatewayCore {
  readonly port: number;
  readonly url: string;
  /** Graceful stop in architecture.md's order (gateway-stop.ts); resolves when everything accepted is committed. */
  stop(): Promise<void>;
}

export async function startGateway(config: Config, plugins: GatewayPlugins = {}): Promise<Gateway> {
  const whitelist = loadWhitelist(config.whitelistPath);
  if (!whitelist.found) log.info('no whitelist file; the whitelist is empty', { path: config.whitelistPath });

  const settings = writerSettings(config);
  const ownership = await acquireStoreOwnership(settings);
  const store = new WorkerStore(settings);
  let ingest: IngestPlugin | null = null;
  let history: History | null = null;
  let holes: Holes | null = null;
  let transport: Transport | null = null;
  let markets: MarketServices | null = null;
  let cluster: ClusterBus | null = null;
  try {
    await store.whenReady();
    // Several nodes (TRADE_CANVAS_BUS=nats): commits and forming candles reach the hub through the
    // bus, and writes wait for it (src/main/bus/); one node: straight from the writer.
    cluster = config.bus === 'nats' ? await ClusterBus.connect(config) : null;
    const activeCluster = cluster;
    const data: MarketStore = activeCluster ? new ClusterStore(store, activeCluster) : store;
    const cache = new TailCache(config.tailCacheCandles, config.tailCacheSeries, (s, limit) =>
      activeCluster ? activeCluster.feed.tagRead(() => store.tail(s, limit)) : store.tail(s, limit),
    );
    history = config.historySource === 'freqtrade' ? startHistory(config, data) : null;
    // Built before the reader, the hub and ingest, which all use it; the ingest supervisor
    // registers itself as its exchange.
    const activeHoles = (holes = createHoles(config, data, history?.bootstrapper ?? null, cache));
    // Reads of a series not seen before wait (bounded) for its tail coverage or bootstrap: the
    // first chart load then shows its history, not an empty series.
    const reader = new CandleReader(data, cache, activeHoles.beforeRead, activeHoles.prepared);
    const backfill = activeHoles.backfill;
    const clock = plugins.clock ?? systemClock;
    const restBlocks = createRestBlocks();
    markets = createMarketServices(config, clock, restBlocks);
    const hub = new MarketHub(reader, config.enableGapBackfill ? backfill : null, config.wsCatchupLimit);
    hub.outbound.setBound(config.wsMaxTotalBufferedBytes);
    const core: GatewayCore = {
      config,
      store: data,
      reader,
      backfill,
      hub,
      whitelist: whitelist.seriesIds,
      history: history?.bootstrapper ?? null,
      markets,
      restBlocks,
    };
    const activity = new SeriesActivity();
    const latency = new GatewayLatency();
    const applyCommitted = (msg: CommittedMessage) => {
      cache.apply(msg); // first: reads started after this commit must see it
      activity.record(msg);
      hub.onCommitted(msg);
      latency.published(msg);
      // The hub's sockets are flushed in a microtask queued during onCommitted: this one runs after it.
      if (trace) queueMicrotask(() => msg.segments.forEach((s) => s.publish && trace.markPacked('main.published', s.data)));
    };
    if (activeCluster) {
      // This node's commits go on the stream (after the commit: invariant 1); every node's come back.
      store.onCommitted((msg) => activeCluster.publisher.enqueue(msg));
      await activeCluster.start({ applyCommitted, dropCaches: () => cache.clear(), hub });
    } else {
      store.onWriterLost(() => cache.clear());
      store.onCommitted(applyCommitted);
    }
    const forming: FormingSink = activeCluster?.forming ?? hub;
    const ingests = liveIngestEnabled(config) && config.role !== 'read';
    const supervisor = plugins.ingest
      ? null
      : ingests
        ? await startDefaultIngest(core, activeHoles, forming, plugins.beforeJobStart, activeCluster !== null)
        : null;
    // In a cluster the supervisor's jobs follow this node's leases, and subscribes ask the ingest nodes.
    ingest = plugins.ingest
      ? await plugins.ingest(core)
      : activeCluster
        ? await startClusterIngest({ cluster: activeCluster, config, whitelist: whitelist.seriesIds, supervisor })
        : supervisor;

    const sessions = new Set<ClientSession>();
    const httpResponses = new Map<string, number>();
    const router = new HttpRouter({
      apiToken: config.apiToken,
      cors: CorsPolicy.fromSetting(config.corsOrigins),
      onResponse: (route, status, startedAtMs) => {
        httpResponses.set(`${route} ${status}`, (httpResponses.get(`${route} ${status}`) ?? 0) + 1);
        latency.responded(route, startedAtMs);
      },
    });
    const routes = gatewayRoutes({
      core,
      plugins,
      holes: activeHoles,
      writer: store,
      cache,
      forming,
      ingest,
      cluster: activeCluster,
      transport: () => transport,
      clock,
      activity,
      latency,
      httpResponses,
    });
    for (const route of routes) router.add(route);
    warnIfWritesOpen(log, config, routes);

    transport = await startUwsTransport({
      host: config.host,
      port: config.port,
      maxBodyBytes: config.maxBodyBytes,
      headers: REQUEST_HEADERS,
      http: router.handle,
      ws: [wsMarketRoute(config, hub, ingest?.demand ?? NO_INGEST_DEMAND, sessions)],
      hostAllowed: hostAllowList(config.allowedHosts, config.host),
    });
    hub.attachTopics(transport);
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${transport.port}`;
    const node = activeCluster ? { node: activeCluster.node, role: config.role } : {};
    log.info('listening', { url, ...storeLabel(settings), ...node, ws: `${url.replace('http', 'ws')}/ws/market` });

    let stopping: Promise<void> | null = null;
    const parts = { transport, markets, ingest, holes: activeHoles, history, store, cluster: activeCluster, hub, ownership };
    const stop = () => (stopping ??= stopGracefully(parts));
    return { ...core, port: transport.port, url, stop };
  } catch (err) {
    transport?.stopListening();
    markets?.close();
    await ingest?.stop().catch(() => undefined);
    holes?.close();
    await history?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
    await ownership.release();
    throw err;
  }
}

/** The Binance ingest supervisor, fed by the gateway's store and feeding its hub. */
function startDefaultIngest(
  core: GatewayCore,
  holes: Holes,
  forming: FormingSink,
  beforeJobStart: GatewayPlugins['beforeJobStart'],
  leased: boolean,
): Promise<IngestSupervisor> {
  return startLiveIngest({
    leased,
    config: core.config,
    whitelist: core.whitelist,
    store: core.store,
    forming,
    restBlocks: core.restBlocks,
    // On-demand jobs start only for symbols the exchange lists (the market list's cached exchangeInfo).
    knownSymbol: (market, symbol) => core.markets.symbols.knownSymbol(market, symbol),
    // Tail coverage (or the freqtrade bootstrap) runs before a job starts, so the job's REST fill
    // covers only the stored head → now.
    beforeJobStart: beforeJobStart?.(core) ?? holes.beforeJobStart,
    history: core.history ?? undefined,
    backfill: holes.backfill,
  });
}

/** Where the candles are, for the 'listening' line (a PostgreSQL URL without its password). */
function storeLabel(settings: WriterSettings): Record<string, string> {
  return settings.store === 'postgres' ? { store: 'postgres', pg: redactUrl(settings.pg!.url) } : { store: 'sqlite', db: settings.dbPath };
}
