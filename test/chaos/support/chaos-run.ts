import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/**
 * What every probe shares: its size (full or smoke) and how it reports. A probe prints one line of
 * figures per scenario (`[chaos] probe scenario: key=value ...`) and appends the same as JSON to
 * test-artifacts/chaos/figures.jsonl, from which docs/reliability.md is written.
 */

/** `CHAOS_SMOKE=1`: the bounded form .ci/run runs (a few minutes for the whole suite). */
export const SMOKE = ['1', 'true', 'yes', 'on'].includes((process.env.CHAOS_SMOKE ?? '').toLowerCase());

/** `full` normally, `smoke` under CHAOS_SMOKE. */
export function sized<T>(full: T, smoke: T): T {
  return SMOKE ? smoke : full;
}

const ARTIFACTS = new URL('../../../test-artifacts/chaos/', import.meta.url).pathname;

export type Figures = Record<string, string | number | boolean | null>;

/** Prints the figures of one scenario and keeps them for the reliability record. */
export function report(probe: string, scenario: string, figures: Figures): void {
  const line = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`)
    .join(' ');
  console.log(`[chaos] ${probe} ${scenario}${SMOKE ? ' (smoke)' : ''}: ${line}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  appendFileSync(
    join(ARTIFACTS, 'figures.jsonl'),
    JSON.stringify({ at: new Date().toISOString(), probe, scenario, smoke: SMOKE, machine: machine(), ...figures }) + '\n',
  );
}

function machine(): string {
  const cpu = cpus();
  return `${cpu.length}× ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
