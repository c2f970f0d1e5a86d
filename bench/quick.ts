/**
 * CI smoke run of every benchmark in `--quick` mode (a few seconds each): checks they run and
 * produce numbers, not the targets. `npm run bench:quick`; called by .ci/run after the tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { localNatsUnavailable } from '../tools/nats/local-nats.js';
import { localClusterUnavailable } from '../tools/pg/local-cluster.js';

/** PostgreSQL runs need its binaries (CI installs them); without them they are skipped, saying why. */
const pgMissing = localClusterUnavailable();
/** The cluster benchmark needs nats-server too (CI installs it). */
const clusterMissing = pgMissing ?? localNatsUnavailable();

const BENCHES: Array<{ script: string; args?: string[]; results: string[]; skip?: string | null }> = [
  { script: 'bench/micro/kline-parse.ts', results: [] },
  { script: 'bench/micro/rest-klines-parse.ts', results: ['micro-rest-klines-parse'] },
  { script: 'bench/micro/ws-encode.ts', results: ['micro-ws-encode'] },
  { script: 'bench/micro/batch-transfer.ts', results: ['micro-batch-transfer'] },
  { script: 'bench/micro/fake-history.ts', results: ['micro-fake-history'] },
  { script: 'bench/micro/sqlite-commit.ts', results: ['micro-sqlite-commit'] },
  { script: 'bench/micro/ingest-alloc.ts', results: ['micro-ingest-alloc'] },
  { script: 'bench/micro/ingest-path.ts', results: ['micro-ingest-path'] },
  { script: 'bench/store.ts', results: ['store-layout', 'store-rows-per-statement', 'store-drains-sqlite'] },
  { script: 'bench/store.ts', args: ['--store', 'postgres'], results: ['store-drains-postgres'], skip: pgMissing },
  { script: 'bench/http.ts', results: ['http'] },
  { script: 'bench/fanout.ts', results: ['fanout'] },
  { script: 'bench/import.ts', results: ['import'] },
  { script: 'bench/import.ts', args: ['--store', 'postgres'], results: ['import-postgres'], skip: pgMissing },
  { script: 'bench/ws-client.ts', results: ['ws-client'] },
  // --warm here (its warm-up step), cold in the PostgreSQL run: both paths stay exercised.
  { script: 'bench/ingest.ts', args: ['--warm'], results: ['ingest'] },
  { script: 'bench/ingest.ts', args: ['--store', 'postgres'], results: ['ingest-postgres'], skip: pgMissing },
  { script: 'bench/first-open.ts', results: ['first-open'] },
  { script: 'bench/cluster.ts', results: ['cluster'], skip: clusterMissing },
  { script: 'bench/micro/leases.ts', results: ['micro-leases'], skip: clusterMissing },
];

const resultFile = (name: string) => new URL(`./results/${name}.json`, import.meta.url);
const failures: string[] = [];
for (const bench of BENCHES) {
  const label = [bench.script, ...(bench.args ?? [])].join(' ');
  if (bench.skip) {
    console.log(`skip ${label}: ${bench.skip}`);
    continue;
  }
  if (!existsSync(new URL(`../${bench.script}`, import.meta.url))) {
    failures.push(`${bench.script}: missing`);
    continue;
  }
  for (const name of bench.results) rmSync(resultFile(name), { force: true });
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', bench.script, '--quick', ...(bench.args ?? [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 180_000,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status !== 0) {
    failures.push(`${label}: exit ${run.status ?? run.signal}`);
    process.stdout.write(run.stdout ?? '');
    continue;
  }
  for (const name of bench.results) {
    const rows = existsSync(resultFile(name)) ? (JSON.parse(readFileSync(resultFile(name), 'utf8')).rows as unknown[]) : [];
    if (rows.length === 0) failures.push(`${label}: no numbers in bench/results/${name}.json`);
  }
  if (!/\d/.test(run.stdout)) failures.push(`${label}: printed no numbers`);
  console.log(`ok ${label} (${seconds} s)`);
}
if (failures.length > 0) {
  console.error(`benchmark smoke run failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('all benchmarks ran in --quick mode and produced numbers');
