import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { machine } from './bench-args.js';

export interface Row {
  readonly [column: string]: string | number;
}

/**
 * Prints a benchmark's result table and writes it as JSON to bench/results/<name>.json (git
 * ignored) so docs/benchmarks.md can be refreshed from the latest run.
 */
export function report(name: string, title: string, rows: readonly Row[], notes: readonly string[] = []): void {
  // The machine is shared: figures are only comparable with the load they were measured under.
  const load = loadAverage();
  console.log(`\n${title}\n${machine()}, load average ${load}\n`);
  console.log(formatTable(rows));
  for (const note of notes) console.log(`- ${note}`);
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL(`../results/${name}.json`, import.meta.url),
    JSON.stringify({ name, title, machine: machine(), load, at: new Date().toISOString(), rows, notes }, null, 2),
  );
}

export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((r) => columns.map((c) => format(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function format(v: string | number | undefined): string {
  if (typeof v !== 'number') return String(v ?? '');
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

/** Wall time of `fn` in milliseconds. */
export function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** 1, 5 and 15-minute load averages, e.g. `3.12 / 4.01 / 5.20`. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
}
