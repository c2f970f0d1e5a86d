/**
 * The real gateway plus benchmark-only routes, run as its own process by the benchmarks:
 *   GET /__bench/constant?bytes=N   a constant JSON body of N bytes through the same router and
 *                                  transport: the baseline "same server, same bytes, no work".
 *   POST /__bench/phases?cmd=reset|dump  with KLINE_GATEWAY_PHASE_TRACE=1: forget, or return, the
 *                                  per-phase stamps of every thread (src/shared/phase-trace.ts).
 * Settings come from the environment exactly as for `kline-gateway serve`.
 */
import { readdirSync } from 'node:fs';
import { loadConfig } from '../../src/main/config/load-config.js';
import { startGateway } from '../../src/main/gateway.js';
import { setLogLevel } from '../../src/shared/log.js';
import { packCandles } from '../../src/domain/candle.js';
import type { GatewayCore } from '../../src/main/gateway.js';
import { JSON_HEADERS, jsonReply, type Route } from '../../src/main/server/http-router.js';
import { runFeed, type FeedOptions } from './feed.js';
import { collectPhaseTraces } from '../../src/shared/phase-trace.js';

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
 *   GET /__bench/commit-watch → {rows, lastAtMs}: candle rows committed and published since start
 *   (the hub hears of a commit before this listener, registered later), and the epoch ms of the
 *   latest such commit. bench/ingest.ts reads it before a replay and then every half second:
 *   once the replay's rows are in, lastAtMs is when its last candle was committed. A tiny reply,
 *   unlike /metrics, so the polling costs the gateway nothing measurable.
 */
function commitWatchRoute(core: GatewayCore): Route {
  let rows = 0;
  let lastAtMs = 0;
  core.store.onCommitted((msg) => {
    rows += msg.rows;
    lastAtMs = performance.timeOrigin + performance.now();
  });
  return { method: 'GET', path: '/__bench/commit-watch', handle: () => jsonReply(200, { rows, lastAtMs }) };
}

/** GET /__bench/memory → the main thread's V8 heap and the process's OS thread count (bench:fanout). */
const memoryRoute: Route = {
  method: 'GET',
  path: '/__bench/memory',
  handle: () => {
    const { heapUsed, external } = process.memoryUsage();
    return jsonReply(200, { heapUsed, external, threads: readdirSync('/proc/self/task').length });
  },
};

const benchRoutes = (core: GatewayCore): Route[] => [
  feedRoute(core),
  memoryRoute,
  commitWatchRoute(core),
  {
    method: 'POST',
    path: '/__bench/phases',
    handle: async ({ query }) => jsonReply(200, await collectPhaseTraces(query.get('cmd') === 'dump' ? 'dump' : 'reset')),
  },
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
