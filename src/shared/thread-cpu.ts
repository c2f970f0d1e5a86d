import { readFileSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';
let available = true;

/**
 * CPU seconds the calling thread has run so far: the first field of Linux's
 * `/proc/thread-self/schedstat` (ns on a CPU). Event-loop utilization counts a busy thread's time
 * waiting for a core too; on a machine with more busy threads than cores that wait is a large
 * part of it (bench:ingest on 2 cores: 2.0–2.3 µs of CPU per frame against 2.7 by ELU). So this is
 * the figure to size cores with. Null where the file does not exist (not Linux, /proc not
 * mounted); after the first miss it is not looked for again.
 */
export function threadCpuSeconds(): number | null {
  if (!available) return null;
  let text: string;
  try {
    text = readFileSync(SCHEDSTAT, 'latin1');
  } catch {
    available = false;
    return null;
  }
  const ns = Number(text.slice(0, text.indexOf(' ')));
  return Number.isFinite(ns) && ns >= 0 ? ns / 1e9 : null;
}
