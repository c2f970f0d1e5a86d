import { describe, expect, it } from 'vitest';
import { replayClosedCount, replayFrames } from '../../bench/lib/kline-frames.js';

/** bench:ingest waits for exactly replayClosedCount rows: a wrong count hangs it or cuts it short. */
describe('the ingest bench replay', () => {
  const closedBars = (frames: Array<{ stream: string; data: string }>, stream: string) =>
    frames.filter((f) => f.stream === stream && f.data.includes('"x":true')).map((f) => (JSON.parse(f.data) as { k: { t: number } }).k.t);

  it.each([
    [3, 5, 0],
    [3, 5, 7],
    [1, 1, 0],
  ])('%i series × %i bars from bar %i: the closed frames are the counted ones, each bar once', (series, bars, from) => {
    const frames = replayFrames(series, bars, from);
    expect(frames.filter((f) => f.data.includes('"x":true'))).toHaveLength(replayClosedCount(series, bars, from));
    expect(frames).toHaveLength(replayClosedCount(series, bars, from) + series * bars);
    const times = closedBars(frames, frames[0]!.stream);
    expect(new Set(times).size).toBe(times.length);
  });

  it('a replay from bar n continues the one of bars 0..n-1 without a gap or a repeat', () => {
    const first = closedBars(replayFrames(2, 4, 0), replayFrames(1, 1)[0]!.stream);
    const next = closedBars(replayFrames(2, 3, 4), replayFrames(1, 1)[0]!.stream);
    const all = [...first, ...next];
    const step = all[1]! - all[0]!;
    expect(step).toBeGreaterThan(0);
    all.forEach((t, i) => expect(t).toBe(all[0]! + i * step));
  });
});
