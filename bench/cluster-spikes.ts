/**
 * Where a bench:cluster p99 comes from: reads the closed samples `npm run bench:cluster --
 * --samples` kept (send time, latency) and prints, per variant, the slowest 100 ms windows by
 * send time with how many of the run's slowest 1% they hold. A p99 made of a few bursts (a
 * periodic stall: a timer, a GC, a flush) shows as a handful of windows holding most of them.
 *
 *   npx tsx bench/cluster-spikes.ts [--bin=100] [--top=12]
 */
import { readFileSync } from 'node:fs';
import { numberOption } from './lib/bench-args.js';

const args = process.argv.slice(2);
const BIN_MS = numberOption(args, 'bin', 100);
const TOP = numberOption(args, 'top', 12);

for (const variant of ['all', 'cluster']) {
  const file = new URL(`./results/cluster-samples-${variant}.json`, import.meta.url).pathname;
  const { sent, latency } = JSON.parse(readFileSync(file, 'utf8')) as { sent: number[]; latency: number[] };
  const sorted = [...latency].sort((a, b) => a - b);
  const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
  const start = Math.min(...sent);
  const bins = new Map<number, { n: number; slow: number; max: number }>();
  for (let i = 0; i < sent.length; i++) {
    const bin = Math.floor((sent[i]! - start) / BIN_MS);
    const b = bins.get(bin) ?? { n: 0, slow: 0, max: 0 };
    b.n++;
    if (latency[i]! >= p99) b.slow++;
    b.max = Math.max(b.max, latency[i]!);
    bins.set(bin, b);
  }
  const slowTotal = latency.filter((l) => l >= p99).length;
  const ranked = [...bins].sort((a, b) => b[1].slow - a[1].slow || b[1].max - a[1].max);
  const withSlow = ranked.filter(([, b]) => b.slow > 0).length;
  console.log(
    `== ${variant}: ${sent.length} closed samples, p99 ${p99.toFixed(1)} ms; ${slowTotal} at or above it in ${withSlow} of ${bins.size} windows of ${BIN_MS} ms`,
  );
  for (const [bin, b] of ranked.slice(0, TOP)) {
    console.log(
      `  t=${((bin * BIN_MS) / 1000).toFixed(1).padStart(5)} s  samples ${String(b.n).padStart(5)}  ≥p99 ${String(b.slow).padStart(4)}  max ${b.max.toFixed(1)} ms`,
    );
  }
}
