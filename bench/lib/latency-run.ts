/**
 * bench:ingest's latency run: the exchange process injects closed and forming frames at a low,
 * fixed rate, each carrying its send time; a client fleet (one socket per series) measures frame →
 * client. With the gateway's phase trace on (`phases`), the run also collects every thread's
 * stamps and breaks each kind down by phase (phase-breakdown.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ThreadTrace } from '../../src/shared/phase-trace.js';
import { ask } from './ceiling.js';
import { seriesIdOf } from './kline-frames.js';
import { breakdowns, type PhaseBreakdown } from './phase-breakdown.js';
import type { FleetStats } from './ws-fleet.js';

export interface LatencyRunOptions {
  readonly exchange: ChildProcess;
  readonly gatewayUrl: string;
  readonly series: number;
  readonly framesPerSecond: number;
  readonly seconds: number;
  /** First bar of the injected frames: after every bar the gateway has stored. */
  readonly firstBar: number;
  readonly phases: boolean;
}

export interface LatencyRunResult {
  readonly sent: number;
  /** Writer commits during the run (each a durable commit: its fsyncs). */
  readonly commits: number;
  /**
   * Gap fills the gateway started during the run: 0 unless the frames left a hole, and then the
   * held candles' wait is in the latencies (a bench that starts past the stored bars makes one).
   */
  readonly gapFills: number;
  /** Sorted, ms. */
  readonly closed: number[];
  readonly forming: number[];
  readonly phases: { closed: PhaseBreakdown; forming: PhaseBreakdown } | null;
}

/** The sum of a counter's samples (every label set) on the gateway's /metrics. */
const counterSum = async (gatewayUrl: string, prefix: string) =>
  (await (await fetch(`${gatewayUrl}/metrics`)).text())
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
const commitsSoFar = (gatewayUrl: string) => counterSum(gatewayUrl, 'kline_gateway_writer_commits_total ');
const gapFillsSoFar = (gatewayUrl: string) => counterSum(gatewayUrl, 'kline_gateway_ingest_gap_fills_total{');

const phasesCall = async (gatewayUrl: string, cmd: 'reset' | 'dump') =>
  (await (await fetch(`${gatewayUrl}/__bench/phases?cmd=${cmd}`, { method: 'POST' })).json()) as ThreadTrace[];

export async function latencyRun(o: LatencyRunOptions): Promise<LatencyRunResult> {
  const fleet = fork(new URL('./ws-fleet.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
  try {
    await ask(fleet, {
      cmd: 'connect',
      url: `${o.gatewayUrl.replace('http', 'ws')}/ws/market`,
      count: o.series,
      series: Array.from({ length: o.series }, (_, i) => seriesIdOf(i)),
      offset: 0,
      sampleEvery: 1,
    });
    await new Promise((r) => setTimeout(r, 500));
    await ask(fleet, { cmd: 'reset' });
    if (o.phases) await phasesCall(o.gatewayUrl, 'reset');
    const commitsBefore = await commitsSoFar(o.gatewayUrl);
    const gapFillsBefore = await gapFillsSoFar(o.gatewayUrl);
    const { sent } = await ask<{ sent: number }>(o.exchange, {
      cmd: 'rate',
      series: o.series,
      framesPerSecond: o.framesPerSecond,
      seconds: o.seconds,
      firstBar: o.firstBar,
    });
    await new Promise((r) => setTimeout(r, 500));
    const commits = (await commitsSoFar(o.gatewayUrl)) - commitsBefore;
    const gapFills = (await gapFillsSoFar(o.gatewayUrl)) - gapFillsBefore;
    const stats = await ask<FleetStats>(fleet, { cmd: 'stats' });
    const traces = o.phases ? await phasesCall(o.gatewayUrl, 'dump') : null;
    return {
      sent,
      commits,
      gapFills,
      closed: [...stats.closedLatencies].sort((a, b) => a - b),
      forming: [...stats.formingLatencies].sort((a, b) => a - b),
      phases: traces ? breakdowns(traces, stats) : null,
    };
  } finally {
    fleet.send({ cmd: 'close' });
  }
}
