/**
 * CI smoke run of every benchmark in `--quick` mode (a few seconds each): checks they run and
 * produce numbers, not the targets. `npm run bench:quick`; called by .ci/run after the tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const BENCHES: Array<{ script: string; results: string[] }> = [
  { script: 'bench/micro/kline-parse.ts', results: [] },
  { script: 'bench/micro/ws-encode.ts', results: ['micro-ws-encode'] },
  { script: 'bench/micro/batch-transfer.ts', results: ['micro-batch-transfer'] },
  { script: 'bench/micro/fake-history.ts', results: ['micro-fake-history'] },
  { script: 'bench/store-layout.ts', results: ['store-layout', 'store-rows-per-statement'] },
  { script: 'bench/http.ts', results: ['http'] },
  { script: 'bench/fanout.ts', results: ['fanout'] },
  { script: 'bench/import.ts', results: ['import'] },
  { script: 'bench/ingest.ts', results: ['ingest'] },
  { script: 'bench/first-open.ts', results: ['first-open'] },
];

const resultFile = (name: string) => new URL(`./results/${name}.json`, import.meta.url);
const failures: string[] = [];
for (const bench of BENCHES) {
  if (!existsSync(new URL(`../${bench.script}`, import.meta.url))) {
    failures.push(`${bench.script}: missing`);
    continue;
  }
  for (const name of bench.results) rmSync(resultFile(name), { force: true });
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', bench.script, '--quick'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 180_000,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status !== 0) {
    failures.push(`${bench.script}: exit ${run.status ?? run.signal}`);
    process.stdout.write(run.stdout ?? '');
    continue;
  }
  for (const name of bench.results) {
    const rows = existsSync(resultFile(name)) ? (JSON.parse(readFileSync(resultFile(name), 'utf8')).rows as unknown[]) : [];
    if (rows.length === 0) failures.push(`${bench.script}: no numbers in bench/results/${name}.json`);
  }
  if (!/\d/.test(run.stdout)) failures.push(`${bench.script}: printed no numbers`);
  console.log(`ok ${bench.script} (${seconds} s)`);
}
if (failures.length > 0) {
  console.error(`benchmark smoke run failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('all benchmarks ran in --quick mode and produced numbers');
