import type { Config } from './config/settings.js';
import { CandleReader } from './hub/candle-reader.js';
import { NO_INGEST_DEMAND, type ClientSession } from './hub/client-session.js';
import { MarketHub } from './hub/market-hub.js';
import { StoreGapFiller } from './hub/store-gap-filler.js';
import type { GapFiller } from './hub/subscription.js';
import { TailCache } from './hub/tail-cache.js';
import type { HistoryBootstrapper } from './history/bootstrapper.js';
import { startHistory, type History } from './history/history-service.js';
import { redactUrl } from '../shared/db-url.js';
import { createLogger } from '../shared/log.js';
import type { WriterSettings } from '../writer/contract.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { createMarketServices, type MarketServices } from './market/market-services.js';
import { GatewayLatency } from './metrics/latency-metrics.js';
import { SeriesActivity } from './metrics/series-activity.js';
import { CorsPolicy } from './server/cors.js';
import { HttpRouter, REQUEST_HEADERS, type Route } from './server/http-router.js';
import { warnIfWritesOpen } from './server/open-writes-warning.js';
import { livePageRoutes } from './server/routes/live-page-routes.js';
import { marketRoutes } from './server/routes/market-routes.js';
import { opsRoutes } from './server/routes/ops-routes.js';
import { topMarketsRoutes } from './server/routes/top-markets-routes.js';
import { healthRoutes } from './server/routes/health-routes.js';
import { IngestBackfillStatus, NO_BACKFILL } from './market/backfill-status.js';
import type { Transport } from './server/transport.js';
import { hostAllowList } from './server/host-allow-list.js';
import { startUwsTransport } from './server/uws-transport.js';
import { wsMarketRoute } from './server/ws-market-route.js';
import type { MarketStore } from './store/market-store.js';
import { acquireStoreOwnership } from './store/store-ownership.js';
import { WorkerStore } from './store/worker-store.js';
import { writerSettings } from './store/writer-settings.js';
import type { BeforeJobStart, IngestPlugin } from './supervisor/ingest-plugin.js';
import { liveIngestEnabled, liveIngestPlugins } from './supervisor/live-ingest.js';
import { loadWhitelist } from './supervisor/whitelist.js';

const log = createLogger('gateway');

/** Pieces of a running gateway that optional subsystems (ingest, history, web page) plug into. */
export interface GatewayCore {
  readonly config: Config;
  readonly store: MarketStore;
  readonly hub: MarketHub;
  readonly reader: CandleReader;
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
}

export interface GatewayPlugins {
  /**
   * Live exchange ingest, created once the store and hub exist. Default: the Binance ingest
   * supervisor (src/main/supervisor/) when whitelist or on-demand ingest is enabled.
   */
  readonly ingest?: (core: GatewayCore) => Promise<IngestPlugin>;
  /**
   * Replaces the store-only gap filler. Default with live ingest on: store, then Binance REST
   * through the ingest workers, then the store again (supervisor/exchange-gap-filler.ts).
   */
  readonly gapFiller?: (core: Omit<GatewayCore, 'hub'>) => GapFiller;
  /** Runs before each ingest job starts (the history bootstrap plugs in here). */
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
  /** Graceful stop in architecture.md's order; resolves when everything accepted is committed. */
  stop(): Promise<void>;
}

export async function startGateway(config: Config, plugins: GatewayPlugins = {}): Promise<Gateway> {
  const whitelist = loadWhitelist(config.whitelistPath);
  if (!whitelist.found) log.info('no whitelist file; the whitelist is empty', { path: config.whitelistPath });

  const settings = writerSettings(config);
  const ownership = await acquireStoreOwnership(settings);
  const store = new WorkerStore(settings);
  const live = !plugins.ingest && liveIngestEnabled(config) ? liveIngestPlugins(plugins.beforeJobStart) : null;
  let ingest: IngestPlugin | null = null;
  let history: History | null = null;
  let transport: Transport | null = null;
  let markets: MarketServices | null = null;
  try {
    await store.whenReady();
    const cache = new TailCache(config.tailCacheCandles, config.tailCacheSeries, (s, limit) => store.tail(s, limit));
    history = config.historySource === 'freqtrade' ? startHistory(config, store) : null;
    // Reads of a series not seen before wait (bounded) for its bootstrap: the first chart load
    // then shows the imported history, not an empty series.
    const reader = new CandleReader(store, cache, history?.bootstrapper.beforeRead);
    const clock = plugins.clock ?? systemClock;
    markets = createMarketServices(config, clock);
    const base = { config, store, reader, whitelist: whitelist.seriesIds, history: history?.bootstrapper ?? null, markets };
    const gapFillerPlugin = plugins.gapFiller ?? live?.gapFiller;
    const gapFiller = config.enableGapBackfill ? (gapFillerPlugin?.(base) ?? new StoreGapFiller(reader, config.gapBackfillReadLimit)) : null;
    const hub = new MarketHub(reader, gapFiller, config.wsCatchupLimit);
    hub.outbound.setBound(config.wsMaxTotalBufferedBytes);
    const core: GatewayCore = { ...base, hub };
    const activity = new SeriesActivity();
    const latency = new GatewayLatency();
    store.onWriterLost(() => cache.clear());
    store.onCommitted((msg) => {
      cache.apply(msg); // first: reads started after this commit must see it
      activity.record(msg);
      hub.onCommitted(msg);
      latency.published(msg);
    });
    const ingestPlugin = plugins.ingest ?? live?.ingest;
    ingest = ingestPlugin ? await ingestPlugin(core) : null;

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
    const routes = [
      ...marketRoutes({ reader, store, hub, whitelist: () => whitelist.seriesIds, devApi: () => config.enableDevApi, debugApi: () => config.enableDebugApi }),
      ...opsRoutes({
        debugApi: () => config.enableDebugApi,
        ingestState: () =>
          ingest?.state() ?? {
            jobs: [],
            whitelist_series_ids: whitelist.seriesIds,
            ondemand_enabled: config.enableOndemandIngest,
            whitelist_enabled: config.enableWhitelistIngest,
          },
        // Writer down, or commits failing (disk full): /readyz says why until a commit succeeds.
        notReadyReasons: () => [...store.notReadyReasons(), ...(ingest?.notReadyReasons() ?? [])],
        metrics: {
          httpResponses,
          hub: () => hub.stats(),
          wsClients: () => transport?.webSocketCount ?? 0,
          cache: () => cache.stats,
          writer: () => store.stats(),
          writerInFlight: () => store.inFlightCandles,
          seriesActivity: activity,
          marketStreams: () => markets!.streams.stats(),
          latency,
          extra: ingest ? (out) => ingest!.metrics(out) : undefined,
        },
      }),
      ...topMarketsRoutes(markets),
      ...healthRoutes({
        store,
        reader,
        clock,
        backfill: ingest?.seriesStats ? new IngestBackfillStatus((id) => ingest!.seriesStats!(id)) : NO_BACKFILL,
        debugApi: () => config.enableDebugApi,
        healthV2: () => config.enableKlineHealthV2,
        recentSeconds: config.klineHealthBackfillRecentSeconds,
      }),
      ...livePageRoutes(plugins.webDir),
      ...(plugins.routes?.(core) ?? []),
    ];
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
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${transport.port}`;
    log.info('listening', { url, ...storeLabel(settings), ws: `${url.replace('http', 'ws')}/ws/market` });

    let stopping: Promise<void> | null = null;
    const running = transport;
    const runningIngest = ingest;
    const runningHistory = history;
    const runningMarkets = markets;
    const stop = () =>
      (stopping ??= (async () => {
        log.info('stopping: no new connections');
        running.stopListening();
        runningMarkets.close(); // market-list streams end, their pollers stop
        if (runningIngest) {
          log.info('stopping ingest jobs (flushing their batches)');
          await runningIngest.stop();
        }
        // Running imports stop with the pool; what they sent before is committed with the rest.
        await runningHistory?.close();
        log.info('writer: committing everything accepted');
        // Its final commits are published before this resolves. If it fails (a commit that cannot
        // succeed), clients are still told and the owner file released (the store repaired the
        // lock), and the stop reports the failure (exit 1).
        const storeClosed = await store.close().then(
          () => null,
          (err: unknown) => ({ err }),
        );
        hub.flusher.flushAll();
        log.info('closing WebSockets (1001 server_shutdown)', { clients: running.webSocketCount });
        running.closeAllWebSockets(1001, 'server_shutdown');
        running.endAllStreams();
        // Idle keep-alive connections would otherwise outlive the stop, answering 503 from a
        // stopped gateway (in-process restarts, embedders). The CLI exits right after, which is
        // no gentler to a socket still flushing its close frame.
        running.close();
        await ownership.release();
        if (storeClosed) throw storeClosed.err;
        log.info('stopped');
      })());
    return { ...core, port: transport.port, url, stop };
  } catch (err) {
    transport?.stopListening();
    markets?.close();
    await ingest?.stop().catch(() => undefined);
    await history?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    await ownership.release();
    throw err;
  }
}

/** Where the candles are, for the 'listening' line (a PostgreSQL URL without its password). */
function storeLabel(settings: WriterSettings): Record<string, string> {
  return settings.store === 'postgres' ? { store: 'postgres', pg: redactUrl(settings.pg!.url) } : { store: 'sqlite', db: settings.dbPath };
}
