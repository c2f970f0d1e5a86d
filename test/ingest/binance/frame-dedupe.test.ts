import { describe, expect, it } from 'vitest';
import { KlineFrame } from '../../../src/domain/kline-frame.js';
import { FrameDedupe } from '../../../src/ingest/binance/frame-dedupe.js';

const frame = new KlineFrame();
const f = (stream: string, t: number, closed: boolean, E: number) =>
  frame.fromEvent({
    ok: true,
    stream,
    symbol: 'X',
    interval: '1m',
    closed,
    eventTimeMs: E,
    candle: { candle_time: t, open: 1, high: 1, low: 1, close: 1, volume: 1 },
  });

describe('FrameDedupe', () => {
  it('drops a frame seen before on another connection, by (stream, t, x, E), also when it arrives late', () => {
    const d = new FrameDedupe();
    const seen = [
      ['a', 60, false, 1_000],
      ['a', 60, false, 1_250],
      ['b', 60, false, 1_250],
      ['a', 60, true, 1_500],
      ['a', 120, false, 1_500],
    ] as const;
    for (const [s, t, x, E] of seen) expect(d.accept(f(s, t, x, E))).toBe(true);
    // The second connection replays the same events, a little behind.
    for (const [s, t, x, E] of seen) expect(d.accept(f(s, t, x, E))).toBe(false);
    expect(d.duplicates).toBe(seen.length);
    // Same E but another bar or close flag is a different frame; so is an older E never seen.
    expect(d.accept(f('a', 120, true, 1_500))).toBe(true);
    expect(d.accept(f('a', 60, false, 900))).toBe(true);
    expect(d.accept(f('b', 120, false, 1_750))).toBe(true);
  });
});
