/**
 * The real gateway plus benchmark-only routes, run as its own process by the benchmarks:
 *   GET /__bench/constant?bytes=N   a constant JSON body of N bytes through the same router and
 *                                  transport: the baseline "same server, same bytes, no work".
 * Settings come from the environment exactly as for `kline-gateway serve`.
 */
import { loadConfig } from '../../src/main/config/load-config.js';
import { startGateway } from '../../src/main/gateway.js';
import { setLogLevel } from '../../src/shared/log.js';
import { packCandles } from '../../src/domain/candle.js';
import type { GatewayCore } from '../../src/main/gateway.js';
import { JSON_HEADERS, jsonReply, type Route } from '../../src/main/server/http-router.js';
import { runFeed, type FeedOptions } from './feed.js';

const constantBodies = new Map<number, Buffer>();

function constantBody(bytes: number): Buffer {
  let body = constantBodies.get(bytes);
  if (!body) {
    const filler = 'x'.repeat(Math.max(0, bytes - 12));
    body = Buffer.from(`{"filler":"${filler}"}`.slice(0, Math.max(bytes, 2)));
    constantBodies.set(bytes, body);
  }
  return body;
}

/**
 *   POST /__bench/feed {series[], formingPerSecond, closedPerSecond, durationMs}
 * runs the synthetic feed inside the gateway: forming candles straight to the hub (as ingest
 * workers do), closed candles through the writer (committed, then published).
 */
const feedRoute = (core: GatewayCore): Route => ({
  method: 'POST',
  path: '/__bench/feed',
  async handle(ctx) {
    const options = (await ctx.json()) as FeedOptions;
    const stats = await runFeed(options, {
      forming: (s, candle) => core.hub.publishForming(options.series[s]!, candle),
      closed: (batch) => {
        void core.store.write(
          batch.map(({ seriesIndex, candle }) => ({ seriesId: options.series[seriesIndex]!, data: packCandles([candle]) })),
          { publish: true },
        );
      },
    });
    await core.store.flush();
    return jsonReply(200, stats);
  },
});

/**
 *   POST /__bench/commit-watch {rows} → {firstAtMs, lastAtMs}
 * answers once `rows` more candle rows are committed and published (the hub hears of a commit
 * before this listener, registered later), with the epoch ms of the first and last such commit:
 * bench/ingest.ts times a replay to its last commit without polling the gateway meanwhile.
 */
function commitWatchRoute(core: GatewayCore): Route {
  let rows = 0;
  let firstAtMs = 0;
  let lastAtMs = 0;
  let watch: { until: number; resolve: () => void } | null = null;
  core.store.onCommitted((msg) => {
    rows += msg.rows;
    lastAtMs = performance.timeOrigin + performance.now();
    firstAtMs ||= lastAtMs;
    if (watch && rows >= watch.until) watch.resolve();
  });
  return {
    method: 'POST',
    path: '/__bench/commit-watch',
    async handle(ctx) {
      const { rows: wanted } = (await ctx.json()) as { rows: number };
      firstAtMs = 0;
      const until = rows + wanted;
      await new Promise<void>((resolve) => (watch = { until, resolve }));
      watch = null;
      return jsonReply(200, { firstAtMs, lastAtMs });
    },
  };
}

const benchRoutes = (core: GatewayCore): Route[] => [
  feedRoute(core),
  commitWatchRoute(core),
  {
    method: 'GET',
    path: '/__bench/constant',
    handle: ({ query }) => ({ status: 200, body: constantBody(Number(query.get('bytes') ?? '1000')), headers: JSON_HEADERS }),
  },
];

const { config } = loadConfig(process.env);
setLogLevel(config.logLevel);
const gateway = await startGateway(config, { routes: benchRoutes });
const stop = () => gateway.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
