import { readdirSync, readFileSync } from 'node:fs';

/** What a process holds right now, from /proc (Linux): resident memory and open file descriptors. */
export interface ProcessStats {
  readonly rssBytes: number;
  readonly fds: number;
}

export function processStats(pid: number): ProcessStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return { rssBytes: rssKiB * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

export const MIB = 1024 * 1024;

export function mib(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}
