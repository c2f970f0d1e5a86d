import type { Row } from './report.js';

/**
 * bench:ingest's CPU budget: where the machine's CPU went per frame, and what issue 16's target
 * (end to end ≥ `target` × the ws ceiling) would ask of it.
 *
 *  - The ingest thread: at `target` × the ceiling's frames/s it has 1e6 / (target × ceiling) µs
 *    per frame of one core, of which reading and parsing alone take what the bare client spent.
 *  - The machine: at this run's CPU per frame (gateway, all threads, + exchange + subscribers),
 *    `target` × the ceiling needs that many µs × frames/s of cores; the machine has `cores`.
 *
 * CPU is user + system time from /proc (10 ms ticks), so fsync waits are not in it. SQLite's own
 * CPU per row into a table like candles, at the run's drain size, is printed beside it: it falls
 * as drains grow (more rows per leaf page per commit: 11.8 µs at 1 row per series, 1.4 at 300,
 * docs/benchmarks.md), and drains grow by themselves when the writer falls behind.
 */
export interface CpuBudgetInput {
  readonly cores: number;
  readonly target: number;
  readonly ceilingFramesPerSecond: number;
  /** Event-loop busy µs per frame: the bare client's thread, and the gateway's ingest thread(s). */
  readonly ceilingBusyUs: number;
  readonly ingestBusyUs: number;
  /** CPU µs per frame in the ceiling run. */
  readonly ceilingClientUs: number;
  readonly ceilingExchangeUs: number;
  /** CPU µs per frame in the end-to-end run. */
  readonly gatewayUs: number;
  /** The gateway's CPU µs per frame by thread (its *_cpu_seconds_total metrics; zero where absent). */
  readonly threadsUs: { readonly ingest: number; readonly writer: number; readonly main: number };
  readonly exchangeUs: number;
  readonly subscribersUs: number;
  readonly framesPerSecond: number;
  /** SQLite's CPU µs per row into a table like candles at the run's drain size (null: not measured, e.g. PostgreSQL). */
  readonly indexedInsertUsPerRow: number | null;
}

export interface CpuBudget {
  readonly rows: Row[];
  /** One line for the report's notes. */
  readonly verdict: string;
}

const us = (n: number) => n.toFixed(2);

export function cpuBudget(i: CpuBudgetInput): CpuBudget {
  const perFrameUs = i.gatewayUs + i.exchangeUs + i.subscribersUs;
  const targetFramesPerSecond = i.target * i.ceilingFramesPerSecond;
  const ingestBudgetUs = 1e6 / targetFramesPerSecond;
  const coresNeeded = (perFrameUs * targetFramesPerSecond) / 1e6;
  const rows: Row[] = [
    { measure: 'CPU µs per frame, ws ceiling run: bare client / exchange', value: `${us(i.ceilingClientUs)} / ${us(i.ceilingExchangeUs)}` },
    {
      measure: 'CPU µs per frame, end to end: gateway (all threads) / exchange / subscribers',
      value: `${us(i.gatewayUs)} / ${us(i.exchangeUs)} / ${us(i.subscribersUs)}`,
    },
    {
      measure: 'gateway CPU µs per frame by thread: ingest / writer / main',
      value: `${us(i.threadsUs.ingest)} / ${us(i.threadsUs.writer)} / ${us(i.threadsUs.main)}`,
    },
    { measure: `machine CPU in use end to end (share of ${i.cores} cores)`, value: (perFrameUs * i.framesPerSecond) / (1e6 * i.cores) },
    { measure: `ingest thread budget per frame at ${i.target}× the ws ceiling (µs)`, value: ingestBudgetUs },
    { measure: `cores ${i.target}× the ws ceiling needs at this run's CPU per frame`, value: coresNeeded },
  ];
  if (i.indexedInsertUsPerRow !== null) {
    rows.push({ measure: "SQLite's CPU µs per row into a table like candles (this run's drains)", value: i.indexedInsertUsPerRow });
  }
  const verdict =
    `at ${i.target}× the ws ceiling the ingest thread may spend ${us(ingestBudgetUs)} µs per frame ` +
    `(bare read + parse: ${us(i.ceilingBusyUs)}; it was busy ${us(i.ingestBusyUs)}, on a CPU ${us(i.threadsUs.ingest)}), and at this run's CPU per frame ` +
    `the pipeline would need ${coresNeeded.toFixed(1)} cores (this machine: ${i.cores})`;
  return { rows, verdict };
}
