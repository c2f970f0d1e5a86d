import type { Duplex } from 'node:stream';
import type { VirtualClock } from './virtual-clock.js';
import type { ReplayFrame, ReplayHistory } from './replay.js';

/**
 * What makes the fake send frames besides its timer: a flood loop for load tests and a replay
 * of a recording. Both return a stop function.
 */

/**
 * Runs `round` (one update of every stream) back to back, as fast as the clients read: before the
 * next round it waits for every socket whose buffer is full to drain, so the fake measures the
 * client's intake rather than growing its own memory. `round` returns false to stop.
 */
export function floodLoop(round: () => boolean, sockets: () => Duplex[]): () => void {
  let stopped = false;
  const step = (): void => {
    if (stopped || !round()) return;
    const blocked = sockets().filter((s) => s.writableNeedDrain && !s.destroyed);
    if (blocked.length === 0) {
      setImmediate(step);
      return;
    }
    const drained = blocked.map((s) => new Promise((resolve) => s.once('drain', resolve).once('close', resolve)));
    Promise.all(drained).then(step, step);
  };
  setImmediate(step);
  return () => {
    stopped = true;
  };
}

/**
 * Plays a recording on the fake's virtual clock: a frame goes out once the clock reaches its
 * recorded time. Its closed bar enters the REST history just before, so REST, like Binance's,
 * knows a bar once it has closed, and never one that has not.
 */
export class ReplayDriver {
  private next = 0;

  constructor(
    private readonly frames: readonly ReplayFrame[],
    private readonly history: ReplayHistory,
    private readonly deliver: (stream: string, data: string) => void,
  ) {
    for (const f of frames) if (f.stream) history.declare(f.stream);
  }

  /** Recorded time of the first frame (where the fake's clock starts by default). */
  get startMs(): number | undefined {
    return this.frames[0]?.atMs;
  }

  /** Sends every frame recorded at or before `virtualMs`, in order; returns the next frame's time, if any. */
  advanceTo(virtualMs: number): number | undefined {
    while (this.next < this.frames.length && this.frames[this.next]!.atMs <= virtualMs) {
      const f = this.frames[this.next++]!;
      if (f.closedBar && f.stream) this.history.record(f.stream, f.closedBar);
      if (f.stream) this.deliver(f.stream, f.data);
    }
    return this.frames[this.next]?.atMs;
  }
}

/** Runs a replay with the wall clock (the fake's clock, at its speed). Returns a stop function. */
export function replayTimer(driver: ReplayDriver, clock: VirtualClock): () => void {
  let timer: NodeJS.Timeout | undefined;
  const step = (): void => {
    const nextAt = driver.advanceTo(clock.now());
    // A paused clock is looked at again after as long as the wait would be at speed.
    if (nextAt !== undefined) timer = setTimeout(step, Math.max(1, Math.ceil((nextAt - clock.now()) / clock.speed)));
  };
  step();
  return () => clearTimeout(timer);
}
