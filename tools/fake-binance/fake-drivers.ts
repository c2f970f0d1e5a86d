import type { Duplex } from 'node:stream';
import type { ReplayFrame } from './replay.js';

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

/** Sends recorded frames with their original spacing divided by `speed`. */
export function replayLoop(frames: readonly ReplayFrame[], speed: number, deliver: (stream: string, data: string) => void): () => void {
  if (frames.length === 0) return () => {};
  const t0 = frames[0]!.atMs;
  const start = Date.now();
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    while (i < frames.length && (frames[i]!.atMs - t0) / speed <= Date.now() - start) {
      const f = frames[i++]!;
      if (f.stream) deliver(f.stream, f.data);
    }
    if (i < frames.length) timer = setTimeout(next, Math.max(0, (frames[i]!.atMs - t0) / speed - (Date.now() - start)));
  };
  next();
  return () => clearTimeout(timer);
}
