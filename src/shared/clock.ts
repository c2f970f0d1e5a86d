/**
 * Time as the ingest classes see it. Production uses the system clock; unit tests pass a manual
 * clock (or use vitest fake timers with the system one) so batching windows, throttles and
 * backoff delays are checked exactly instead of with sleeps.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

/** Opaque timer handle. */
export type Timer = { readonly __timer: true } | ReturnType<typeof setTimeout>;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // Ingest timers (flush windows, watchdogs, backoff) must never keep a stopping worker alive.
    timer.unref?.();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** A clock that only moves when told to: `advance(ms)` runs due timers in time order. */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return { __timer: true, id } as unknown as Timer;
  }

  clearTimeout(timer: Timer): void {
    this.timers.delete((timer as unknown as { id: number }).id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= target && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
          nextId = id;
          nextAt = t.at;
        }
      }
      if (nextId < 0) break;
      const due = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = target;
  }

  /** Timers not yet fired. */
  pending(): number {
    return this.timers.size;
  }
}

/**
 * Milliseconds on the process-wide monotonic clock (libuv's hrtime, CLOCK_MONOTONIC): stamps
 * taken on different threads compare, unlike performance.now(), whose origin is per thread.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
