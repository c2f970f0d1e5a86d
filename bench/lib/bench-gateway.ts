/**
 * The real gateway plus benchmark-only routes, run as its own process by the benchmarks:
 *   GET /__bench/constant?bytes=N   a constant JSON body of N bytes through the same router and
 *                                  transport: the baseline "same server, same bytes, no work".
 * Settings come from the environment exactly as for `kline-gateway serve`.
 */
import { loadConfig } from '../../src/config/load-config.js';
import { startGateway } from '../../src/gateway.js';
import { setLogLevel } from '../../src/log.js';
import { JSON_HEADERS, type Route } from '../../src/server/http-router.js';

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

const benchRoutes = (): Route[] => [
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
