/**
 * `npm run cluster`: several gateway nodes as one, offline (docs/operations.md "Running several
 * nodes"). Starts a throwaway PostgreSQL and nats-server, the fake Binance, N ingest nodes and M
 * read nodes (each a process of the CLI), prints their URLs, and on Ctrl-C stops everything and
 * deletes every file.
 *
 *   npm run cluster -- --ingest 2 --read 2 [--bar-seconds 5]
 *
 * Exit codes: 0 after Ctrl-C, 1 start-up failed, 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { startCluster, type RunningCluster } from '../tools/cluster/run-cluster.js';
import { localNatsUnavailable } from '../tools/nats/local-nats.js';
import { localClusterUnavailable } from '../tools/pg/local-cluster.js';

const SERIES = ['BTC', 'ETH', 'SOL', 'BNB'].flatMap((b) => [`binance:spot:${b}/USDT:1m`, `binance:futures:${b}/USDT:1m`]);
const USAGE = 'npm run cluster -- [--ingest N (2)] [--read N (2)] [--bar-seconds S (5; 60 = real time)]';
const say = (line = '') => process.stdout.write(`${line}\n`);
const fail = (code: number, message: string): never => {
  process.stderr.write(`npm run cluster: ${message}\n`);
  process.exit(code);
};

const count = (value: string | undefined, fallback: number, name: string, min: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 16) fail(2, `--${name}: expected an integer in ${min}..16, got '${value}'\n${USAGE}`);
  return n;
};

let args;
try {
  args = parseArgs({
    options: { ingest: { type: 'string' }, read: { type: 'string' }, 'bar-seconds': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  }).values;
} catch (err) {
  fail(2, `${(err as Error).message}\n${USAGE}`);
}
if (args!.help) {
  say(USAGE);
  process.exit(0);
}
const ingestNodes = count(args!.ingest, 2, 'ingest', 1);
const readNodes = count(args!.read, 2, 'read', 0);
const barSeconds = Number(args!['bar-seconds'] ?? 5);
if (!(barSeconds >= 1 && barSeconds <= 60)) fail(2, `--bar-seconds: expected a number in 1..60, got '${args!['bar-seconds']}'`);
const missing = localClusterUnavailable() ?? localNatsUnavailable();
if (missing) fail(1, missing);

let cluster: RunningCluster | null = null;
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  say('\nstopping the nodes (ingest flushed, leases released), then NATS, PostgreSQL and the fake; deleting their files');
  await cluster?.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  cluster = await startCluster({ ingestNodes, readNodes, series: SERIES, barMs: barSeconds * 1000, say });
} catch (err) {
  fail(1, (err as Error).message);
}
const c = cluster!;
say();
say(`kline-gateway cluster: ${ingestNodes} ingest + ${readNodes} read nodes (Ctrl-C stops everything)`);
say(`  PostgreSQL  ${c.pgUrl}`);
say(`  NATS        ${c.natsUrl}`);
say(`  Binance     ${c.fake.restUrl()} (fake; one 1m bar every ${barSeconds} s)`);
for (const n of [...c.ingest, ...c.read]) say(`  ${n.name.padEnd(10)}  ${n.url}/live   ws ${n.url.replace('http', 'ws')}/ws/market   (pid ${n.pid})`);
say(`  logs        ${c.dir}/<node>.log`);
say();
say(`whitelist: ${SERIES.join(', ')}`);
say(`who ingests what: curl -s ${c.ingest[0]!.url}/api/market/debug/ingest_state | jq .leases.owned`);
say(`try a failover: kill -9 ${c.ingest[0]!.pid} (its series move to another ingest node within ~1.2 lease TTLs)`);
setInterval(() => undefined, 1 << 30);
