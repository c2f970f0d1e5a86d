/**
 * Summarizes V8 CPU profiles (`--profile` on the benches, or `node --cpu-prof`): per profile, the
 * thread's busy time (idle and GC listed apart), then the top functions by self time and the
 * files by self time, as shares of busy time. This is what docs/benchmarks.md quotes as "the
 * profile before and after".
 *
 *   npx tsx bench/profile-summary.ts [--top=25] [--match=text] bench/results/*.cpuprofile
 *
 * `--match=text` keeps only profiles with a function or file containing `text` (e.g.
 * `stream-connection` picks the ingest thread).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { numberOption } from './lib/bench-args.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const TOP = numberOption(args, 'top', 25);
const match = args.find((a) => a.startsWith('--match='))?.slice('--match='.length);
const files = args.filter((a) => !a.startsWith('--'));

const shortUrl = (url: string): string => {
  const at = url.indexOf('/src/');
  if (at >= 0) return url.slice(at + 1);
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  return url.replace(/^file:\/\//, '') || '(native)';
};

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let idle = 0;
  let gc = 0;
  let busy = 0;
  const fns = new Map<string, number>();
  const urls = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      if (functionName === '(idle)') idle += us;
      else busy += us;
      if (functionName === '(idle)') continue;
    } else busy += us;
    if (functionName === '(garbage collector)') gc += us;
    const key = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const u = shortUrl(url);
    urls.set(u, (urls.get(u) ?? 0) + us);
  }
  if (match && ![...fns.keys()].some((k) => k.includes(match))) continue;
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  console.log(
    `\n== ${basename(file)}: wall ${wallMs.toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms, GC ${pct(gc).trim()} of busy`,
  );
  console.log('-- functions by self time (share of busy)');
  for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  console.log('-- files by self time');
  for (const [k, us] of [...urls].sort((a, b) => b[1] - a[1]).slice(0, Math.ceil(TOP / 2)))
    console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}
