/**
 * The per-phase breakdown of frame → client latency (`bench:ingest -- --phases`): joins the
 * gateway's phase stamps (src/shared/phase-trace.ts, collected from every thread) with the
 * exchange's send time (the key: the frame's volume) and the client's receipt, and prints, per
 * step, p50 / p99 of the time spent in it and its mean share among the slowest 1% of candles.
 */
import { PHASES, type Phase, type ThreadTrace } from '../../src/shared/phase-trace.js';
import { percentile, type Row } from './report.js';
import type { FleetStats } from './ws-fleet.js';

/** A closed candle's way: exchange → ingest worker → writer (commit) → main thread → client. */
export const CLOSED_PATH: readonly Phase[] = [
  'ingest.parsed',
  'ingest.posted',
  'writer.accepted',
  'writer.drainStarted',
  'writer.committed',
  'writer.reported',
  'main.committedReceived',
  'main.published',
];

/** A forming candle's way: exchange → ingest worker (throttle) → main thread → client. */
export const FORMING_PATH: readonly Phase[] = ['ingest.parsed', 'ingest.formingPosted', 'main.formingReceived', 'main.formingPublished'];

/** What each step's time covers, for the printed table. */
const STEP: Record<Phase | 'client', string> = {
  'ingest.parsed': 'exchange send → ingest worker parsed (loopback, socket read, scan)',
  'ingest.posted': 'parsed → batch posted to the writer (dedupe, hold, batcher)',
  'ingest.formingPosted': 'parsed → forming posted to the main thread (throttle, per-turn coalescing)',
  'writer.accepted': 'posted → writer accepted (port delivery, writer wake-up)',
  'writer.drainStarted': 'accepted → drain started (drain scheduling, a drain in flight)',
  'writer.committed': 'drain → committed (plan, upsert, COMMIT with fsyncs)',
  'writer.reported': 'committed → committed notice posted (report, acks)',
  'main.committedReceived': 'notice posted → main thread received it',
  'main.formingReceived': 'posted → main thread received it',
  'main.published': 'received → sockets written (tail cache, hub, flush)',
  'main.formingPublished': 'received → sockets written (hub, flush)',
  client: 'sockets written → client received (loopback, client process)',
};

/** key → epoch ms, per phase (the first stamp of a key wins: a resend or a second drain is later). */
function stampsByPhase(traces: readonly ThreadTrace[]): Map<Phase, Map<number, number>> {
  const byPhase = new Map<Phase, Map<number, number>>(PHASES.map((p) => [p, new Map()]));
  for (const { data } of traces) {
    for (let i = 0; i + 2 < data.length; i += 3) {
      const stamps = byPhase.get(PHASES[data[i]!]!)!;
      const key = data[i + 1]!;
      if (!stamps.has(key)) stamps.set(key, data[i + 2]!);
    }
  }
  return byPhase;
}

export interface PhaseBreakdown {
  /** Candles seen at the client with every phase stamped. */
  readonly complete: number;
  readonly rows: Row[];
}

/**
 * One row per step: its own time (p50 / p99, and its mean over the slowest 1% of candles), then
 * the total. `sent`/`latency` are the fleet's samples of one kind (closed or forming).
 */
export function breakdown(traces: readonly ThreadTrace[], path: readonly Phase[], sent: readonly number[], latency: readonly number[]): PhaseBreakdown {
  const stamps = stampsByPhase(traces);
  const steps = [...path, 'client'] as const;
  const own = steps.map(() => [] as number[]);
  const totals: number[] = [];
  for (let s = 0; s < sent.length; s++) {
    const key = sent[s]!;
    const times = path.map((p) => stamps.get(p)!.get(key));
    if (times.some((t) => t === undefined)) continue;
    const all = [...(times as number[]), key + latency[s]!];
    let previous = key;
    all.forEach((t, i) => {
      own[i]!.push(t - previous);
      previous = t;
    });
    totals.push(latency[s]!);
  }
  // Where the slowest 1% of candles spent their time (a p99 of each step alone does not say).
  const slowest = totals
    .map((total, i) => ({ total, i }))
    .sort((a, b) => b.total - a.total)
    .slice(0, Math.max(1, Math.ceil(totals.length / 100)));
  const rows = steps.map((step, i) => {
    const o = [...own[i]!].sort((a, b) => a - b);
    return {
      step: STEP[step],
      'p50 ms': percentile(o, 50),
      'p99 ms': percentile(o, 99),
      'slowest 1%: mean ms': slowest.reduce((sum, { i: k }) => sum + own[i]![k]!, 0) / slowest.length,
    };
  });
  const all = [...totals].sort((a, b) => a - b);
  rows.push({
    step: 'total: exchange send → client',
    'p50 ms': percentile(all, 50),
    'p99 ms': percentile(all, 99),
    'slowest 1%: mean ms': slowest.reduce((sum, s) => sum + s.total, 0) / slowest.length,
  });
  return { complete: totals.length, rows };
}

/** Both kinds, from the latency run's fleet stats. */
export function breakdowns(traces: readonly ThreadTrace[], fleet: FleetStats): { closed: PhaseBreakdown; forming: PhaseBreakdown } {
  return {
    closed: breakdown(traces, CLOSED_PATH, fleet.closedSent, fleet.closedLatencies),
    forming: breakdown(traces, FORMING_PATH, fleet.formingSent, fleet.formingLatencies),
  };
}
