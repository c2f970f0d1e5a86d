import { BroadcastChannel } from 'node:worker_threads';

/**
 * Per-phase timing of a candle's way through the gateway, for benchmarks only
 * (`bench:ingest -- --phases`, docs/benchmarks.md "Closed-candle latency at low load"). Off unless
 * the process starts with `KLINE_GATEWAY_PHASE_TRACE=1`; then `phaseTrace` is null in no thread and
 * each call site stamps (phase, key, epoch ms). Off, every call site is one null check.
 *
 * The key is the candle's volume: the latency benchmark's exchange puts each frame's send time
 * there, so a candle is followed across the ingest worker, the writer and the main thread without
 * any id on the wire. Times are `performance.timeOrigin + performance.now()` in every thread and
 * process: the same epoch clock the benchmark's exchange and clients stamp with.
 *
 * Each thread keeps its stamps in a bounded ring (the oldest overwritten); the benchmark's
 * gateway entry collects every thread's ring over a BroadcastChannel (`collectPhaseTraces`).
 */
export const PHASES = [
  // ingest worker
  'ingest.parsed',
  'ingest.posted',
  'ingest.formingPosted',
  // writer worker
  'writer.accepted',
  'writer.drainStarted',
  'writer.committed',
  'writer.reported',
  // main thread
  'main.committedReceived',
  'main.published',
  'main.formingReceived',
  'main.formingPublished',
] as const;

export type Phase = (typeof PHASES)[number];

/** Stamps kept per thread: at 1k frames/s and ≤ 6 stamps per candle, over a minute of history. */
const CAPACITY = 400_000;
const CHANNEL = 'kline-gateway:phase-trace';

/** One thread's stamps: `data` holds [phaseIndex, key, epochMs] × count. */
export interface ThreadTrace {
  readonly thread: string;
  readonly data: number[];
}

class PhaseRecorder {
  private readonly data = new Float64Array(CAPACITY * 3);
  private next = 0;
  private wrapped = false;
  private readonly index = new Map<Phase, number>(PHASES.map((p, i) => [p, i]));

  constructor(private readonly thread: string) {
    const channel = new BroadcastChannel(CHANNEL);
    // Never keeps a thread alive; a dump request is answered with this thread's stamps.
    channel.unref();
    channel.onmessage = (event) => {
      const msg = (event as { data: unknown }).data as { t: string };
      if (msg.t === 'dump') channel.postMessage({ t: 'trace', trace: this.snapshot() });
      else if (msg.t === 'reset') this.reset();
    };
  }

  /** `key` is the candle's volume; `at` defaults to now (epoch ms). */
  mark(phase: Phase, key: number, at: number = nowEpochMs()): void {
    const i = this.next * 3;
    this.data[i] = this.index.get(phase)!;
    this.data[i + 1] = key;
    this.data[i + 2] = at;
    if (++this.next === CAPACITY) {
      this.next = 0;
      this.wrapped = true;
    }
  }

  /** Stamps every candle of packed `[t,o,h,l,c,v]×n` data (the volume at offset 5). */
  markPacked(phase: Phase, packed: Float64Array, at: number = nowEpochMs()): void {
    for (let v = 5; v < packed.length; v += 6) this.mark(phase, packed[v]!, at);
  }

  snapshot(): ThreadTrace {
    const used = this.wrapped ? this.data : this.data.subarray(0, this.next * 3);
    return { thread: this.thread, data: Array.from(used) };
  }

  reset(): void {
    this.next = 0;
    this.wrapped = false;
  }
}

export function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

const enabled = process.env.KLINE_GATEWAY_PHASE_TRACE === '1';
let recorder: PhaseRecorder | null = null;

/** This thread's recorder when tracing is on, else null; `thread` names it in the collected traces. */
export function phaseTracer(thread: string): PhaseRecorder | null {
  if (!enabled) return null;
  recorder ??= new PhaseRecorder(thread);
  return recorder;
}

/**
 * Asks every thread of the process for its stamps (or to forget them: `reset`) and returns what
 * answered within `waitMs`. Called by the benchmark's gateway entry on the main thread.
 */
export async function collectPhaseTraces(command: 'dump' | 'reset', waitMs = 500): Promise<ThreadTrace[]> {
  if (!phaseTracer('main')) return [];
  const channel = new BroadcastChannel(CHANNEL);
  const traces: ThreadTrace[] = [];
  channel.onmessage = (event) => {
    const msg = (event as { data: unknown }).data as { t: string; trace?: ThreadTrace };
    if (msg.t === 'trace' && msg.trace) traces.push(msg.trace);
  };
  // Every other channel of the name hears it, the main thread's own recorder's included.
  channel.postMessage({ t: command });
  await new Promise((r) => setTimeout(r, waitMs));
  channel.close();
  return traces;
}
