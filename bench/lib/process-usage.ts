import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user+system) and RSS bytes of a process, from /proc (Linux). */
export function processUsage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  return { cpuSeconds: (utime + stime) / TICKS_PER_SECOND, rssBytes: rssPages * 4096 };
}

/** Measures the CPU share (1.0 = one core) a process used while `work` ran. */
export async function cpuShareDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; cpuShare: number; seconds: number }> {
  const before = processUsage(pid).cpuSeconds;
  const t0 = performance.now();
  const result = await work();
  const seconds = (performance.now() - t0) / 1000;
  return { result, cpuShare: (processUsage(pid).cpuSeconds - before) / seconds, seconds };
}
