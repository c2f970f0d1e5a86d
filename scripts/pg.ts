/**
 * `npm run pg`: a throwaway PostgreSQL for trying the gateway's PostgreSQL store without setting
 * one up (README "PostgreSQL"). Starts a cluster of the installed PostgreSQL (Debian package
 * `postgresql`) in a temporary directory, listening on 127.0.0.1 only with trust authentication,
 * creates the database `kline`, prints the TRADE_CANVAS_* lines to use, and on Ctrl-C stops it and
 * deletes every file.
 *
 *   npm run pg                  (port 54329, or a free one if taken)
 *   npm run pg -- --port 5433
 *
 * Exit codes: 0 after Ctrl-C, 1 PostgreSQL missing or failing to start, 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { localClusterUnavailable, startLocalCluster } from '../tools/pg/local-cluster.js';

const DEFAULT_PORT = 54329;
const DATABASE = 'kline';
const say = (line = '') => process.stdout.write(`${line}\n`);

let port = DEFAULT_PORT;
try {
  const { values } = parseArgs({ options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    say('npm run pg [-- --port N]   a throwaway PostgreSQL for the gateway (Ctrl-C stops it and deletes its files)');
    process.exit(0);
  }
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port: expected an integer in 1..65535, got '${values.port}'`);
  }
} catch (err) {
  process.stderr.write(`npm run pg: ${(err as Error).message}\n`);
  process.exit(2);
}

const missing = localClusterUnavailable();
if (missing) {
  process.stderr.write(`npm run pg: ${missing}\n`);
  process.exit(1);
}

let cluster;
try {
  cluster = await startLocalCluster({ port });
  await cluster.createDatabase(DATABASE);
} catch (err) {
  process.stderr.write(`npm run pg: ${(err as Error).message}\n`);
  process.exit(1);
}
const url = cluster.url(DATABASE);
say(`PostgreSQL for kline-gateway on 127.0.0.1:${cluster.port} (throwaway: Ctrl-C stops it and deletes its files)`);
say();
say(`  export TRADE_CANVAS_STORE=postgres`);
say(`  export TRADE_CANVAS_PG_URL=${url}`);
say();
say('then, in another terminal with those two lines:');
say('  npm start                                                 # the gateway on PostgreSQL');
say(`  node dist/src/cli/cli.js import --datadir DIR --store postgres --pg-url ${url}`);
say(`  psql ${url}                      # look at the tables`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('\nstopping PostgreSQL and deleting its files');
  await cluster.destroy();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// Keep running until a signal.
setInterval(() => undefined, 1 << 30);
