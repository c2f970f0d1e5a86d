/**
 * Ingest leases (issue 14 §4: "a lease in JetStream key-value with a TTL, or PostgreSQL advisory
 * locks: measure and choose"). For N series, on throwaway servers:
 *
 *  - JetStream KV (the project's bucket, `src/main/bus/nats-bus.ts`): take N (compare-and-set
 *    create), one per-series renewal tick of N (update with the revision: the model before
 *    2026-12-03), and how a dead holder's leases free up: by TTL only (nats-server 2.9 sends
 *    nothing at expiry), so ~1.2 × TTL.
 *  - The lease model as the gateway runs it (IngestOwnership): taking N series, then one steady
 *    tick (one node-lease put, the owner entries untouched), wall time and this process's CPU.
 *  - PostgreSQL advisory locks: take N (`pg_try_advisory_lock` on one session, one statement), no
 *    renewal (held by the session), and how long until another session can take them after the
 *    holder's connection is cut (a kill -9 closes the socket: the backend releases at once).
 *
 *   npm run bench:micro:leases [-- --quick] [--series=1000]
 */
import pg from 'pg';
import { connectNatsBus } from '../../src/main/bus/nats-bus.js';
import { IngestOwnership } from '../../src/main/cluster/ingest-ownership.js';
import { LeaseMirror } from '../../src/main/cluster/lease-mirror.js';
import { startLocalNats } from '../../tools/nats/local-nats.js';
import { startLocalCluster } from '../../tools/pg/local-cluster.js';
import { benchArgs, numberOption } from '../lib/bench-args.js';
import { report, type Row } from '../lib/report.js';

const { quick, args } = benchArgs();
const N = numberOption(args, 'series', quick ? 200 : 1000);
const TTL_MS = 6000;
const keys = Array.from({ length: N }, (_, i) => `binance_futures_S${i}_USDT_1m`);
const seriesIds = Array.from({ length: N }, (_, i) => `binance:futures:S${i}/USDT:1m`);
const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
};

const nats = await startLocalNats();
const cluster = await startLocalCluster();
const rows: Row[] = [];
try {
  // JetStream KV.
  const bus = await connectNatsBus({
    servers: nats.url,
    name: 'bench-leases',
    stream: { name: 'BENCH_LEASES', subjects: ['benchleases.>'], maxAgeMs: 60_000 },
  });
  const bucket = await bus.leases('bench_leases', TTL_MS);
  const value = new TextEncoder().encode('{"node":"bench"}');
  const revisions = new Map<string, number>();
  const kvTake = await timed(() => Promise.all(keys.map(async (k) => revisions.set(k, (await bucket.create(k, value))!))));
  const renewCpu0 = process.cpuUsage();
  const kvRenew = await timed(() => Promise.all(keys.map(async (k) => revisions.set(k, (await bucket.update(k, value, revisions.get(k)!))!))));
  const renewCpu = process.cpuUsage(renewCpu0);
  const kvSecond = await timed(() => Promise.all(keys.map(async (k) => bucket.create(k, value))));

  // The lease model as the gateway runs it (src/main/cluster/ingest-ownership.ts): owner entries
  // written when a series is taken, one node lease renewed per tick.
  const owners = await bus.leases('bench_owners', 0);
  const nodes = await bus.leases('bench_nodes', TTL_MS);
  const demand = await bus.leases('bench_demand', TTL_MS);
  const mirrors = { owners: new LeaseMirror(owners), nodes: new LeaseMirror(nodes), demand: new LeaseMirror(demand) };
  await Promise.all(Object.values(mirrors).map((m) => m.start()));
  const jobs = { hold: () => Promise.resolve(), drop: () => undefined };
  const ownership = new IngestOwnership('bench-node', 'ingest', owners, nodes, mirrors, jobs, seriesIds);
  const modelTake = await timed(() => ownership.tick());
  while (mirrors.owners.freshKeys(Date.now()).length < N) await new Promise((r) => setTimeout(r, 10));
  const TICKS = 5;
  const cpu0 = process.cpuUsage();
  const modelTick =
    (await timed(async () => {
      for (let i = 0; i < TICKS; i++) await ownership.tick();
    })) / TICKS;
  const cpu = process.cpuUsage(cpu0);
  const modelTickCpu = (cpu.user + cpu.system) / 1000 / TICKS;
  for (const m of Object.values(mirrors)) m.stop();
  await bus.close();

  // PostgreSQL advisory locks: one session per node, as an ingest node would hold.
  const url = await cluster.createDatabase();
  const holder = new pg.Client({ connectionString: url });
  const other = new pg.Client({ connectionString: url });
  await Promise.all([holder.connect(), other.connect()]);
  // One statement for every key (what a node would send per tick): which of them this session holds.
  const tryLocks = async (c: pg.Client, ks: readonly string[]) =>
    (await c.query<{ k: string; ok: boolean }>('SELECT k, pg_try_advisory_lock(hashtext(k)) AS ok FROM unnest($1::text[]) AS k', [ks])).rows;
  let pgTaken = 0;
  const pgTake = await timed(async () => (pgTaken = (await tryLocks(holder, keys)).filter((r) => r.ok).length));
  const refused = (await tryLocks(other, keys)).filter((r) => !r.ok).length;
  // The holder dies: its socket closes without a goodbye (what kill -9 does to it).
  holder.on('error', () => undefined);
  (holder as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  const cut = performance.now();
  let waiting = keys;
  while (waiting.length > 0 && performance.now() - cut < 30_000) {
    const got = new Set((await tryLocks(other, waiting)).filter((r) => r.ok).map((r) => r.k));
    waiting = waiting.filter((k) => !got.has(k));
  }
  const pgRelease = performance.now() - cut;
  await other.end();

  rows.push(
    { measure: `KV: take ${N} leases (create, in parallel) ms`, value: kvTake },
    { measure: `KV: one renewal tick of ${N} (update with revision) ms`, value: kvRenew },
    { measure: `KV: CPU of that tick (this process) ms`, value: (renewCpu.user + renewCpu.system) / 1000 },
    { measure: `KV: ${N} creates refused (held) ms`, value: kvSecond },
    { measure: `model: take ${N} series (first tick: owner entries created) ms`, value: modelTake },
    { measure: `model: one steady tick holding ${N} (one node-lease put) ms`, value: modelTick },
    { measure: `model: CPU of one steady tick holding ${N} (this process) ms`, value: modelTickCpu },
    { measure: `KV: a dead holder's leases free after (TTL ${TTL_MS} ms, checked each fifth) ms`, value: TTL_MS * 1.2 },
    { measure: `PG advisory: take ${N} (one session, one statement) ms`, value: pgTake },
    { measure: 'PG advisory: taken / refused to a second session', value: `${pgTaken} / ${refused}` },
    { measure: "PG advisory: a cut holder's locks taken by another session after ms", value: pgRelease },
  );
  report('micro-leases', `Ingest leases for ${N} series: JetStream KV vs PostgreSQL advisory locks`, rows, [
    'per-series KV renewal (the model before 2026-12-03) costs one round trip per series per tick (every TTL/5); the model now renews one node lease per tick; advisory locks cost nothing while held',
    "advisory locks free at once when the holder's socket closes, but also whenever its PostgreSQL session drops (a PostgreSQL restart, a pooler) and never while a hung process keeps its socket",
  ]);
} finally {
  await nats.destroy();
  await cluster.destroy();
}
