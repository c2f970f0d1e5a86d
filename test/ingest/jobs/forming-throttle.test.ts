import { describe, expect, it } from 'vitest';
import type { Candle } from '../../../src/domain/candle.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { FormingThrottle } from '../../../src/ingest/jobs/forming-throttle.js';

const bar = (t: number, close: number): Candle => ({ candle_time: t, open: 1, high: 9, low: 0, close, volume: close });

function setup(minIntervalMs = 250) {
  const clock = new ManualClock();
  const out: { candle: Candle; at: number }[] = [];
  const throttle = new FormingThrottle(minIntervalMs, (candle) => out.push({ candle, at: clock.now() }), clock);
  return { clock, out, throttle };
}

describe('FormingThrottle', () => {
  it('sends the first update at once and at most one per interval after that, latest wins', () => {
    const { clock, out, throttle } = setup(250);
    // A futures-like stream pushing every 10 ms for one second.
    for (let i = 0; i < 100; i++) {
      throttle.forming(bar(60, i), { eventTimeMs: 1000 + i * 10, receivedAt: clock.now() });
      clock.advance(10);
    }
    clock.advance(250);
    expect(out[0]).toEqual({ candle: bar(60, 0), at: clock.now() - 1250 });
    for (let i = 1; i < out.length; i++) expect(out[i]!.at - out[i - 1]!.at).toBeGreaterThanOrEqual(250);
    expect(out.length).toBeLessThanOrEqual(1 + Math.ceil(1000 / 250));
    // Trailing send: the last value is delivered even though it arrived inside an interval.
    expect(out[out.length - 1]!.candle.close).toBe(99);
    expect(throttle.stats()).toMatchObject({ received: 100, emitted: out.length, dropped: 0 });
  });

  it('keeps the spacing at a close: a value waiting for its slot is superseded by the closed candle', () => {
    const { clock, out, throttle } = setup(250);
    throttle.forming(bar(60, 1), { eventTimeMs: 1, receivedAt: clock.now() });
    clock.advance(50);
    throttle.forming(bar(60, 2), { eventTimeMs: 2, receivedAt: clock.now() });
    expect(out).toHaveLength(1);
    throttle.closed(60);
    clock.advance(1000);
    expect(out.map((o) => o.candle.close)).toEqual([1]);
    expect(throttle.stats()).toMatchObject({ emitted: 1, superseded: 1, dropped: 0 });
    // A second later the next bar's first update goes at once again.
    throttle.forming(bar(120, 3), { eventTimeMs: 3, receivedAt: clock.now() });
    expect(out.map((o) => o.candle.close)).toEqual([1, 3]);
  });

  it("after a close, the next bar's update inside the interval goes at its slot, on the timer already armed", () => {
    const { clock, out, throttle } = setup(250);
    const t0 = clock.now();
    throttle.forming(bar(60, 1), { eventTimeMs: 1, receivedAt: clock.now() }); // sent at once
    clock.advance(50);
    throttle.forming(bar(60, 2), { eventTimeMs: 2, receivedAt: clock.now() }); // waits for 250
    throttle.closed(60); // superseded; the timer stays armed
    expect(clock.pending()).toBe(1);
    clock.advance(50);
    throttle.forming(bar(120, 3), { eventTimeMs: 3, receivedAt: clock.now() }); // the next bar, 100 ms after the last send: waits for the slot
    expect(out.map((o) => o.candle.close)).toEqual([1]);
    expect(clock.pending()).toBe(1);
    clock.advance(149);
    expect(out.map((o) => o.candle.close)).toEqual([1]);
    clock.advance(1);
    expect(out.map((o) => ({ close: o.candle.close, at: o.at - t0 }))).toEqual([
      { close: 1, at: 0 },
      { close: 3, at: 250 },
    ]);
    // A timer that finds nothing pending sends nothing.
    throttle.forming(bar(120, 4), { eventTimeMs: 4, receivedAt: clock.now() });
    throttle.closed(120);
    clock.advance(1000);
    expect(out).toHaveLength(2);
    expect(clock.pending()).toBe(0);
  });

  it('the trailing send delivers the last value of a bar that goes quiet before its close', () => {
    const { clock, out, throttle } = setup(250);
    throttle.forming(bar(60, 1), { eventTimeMs: 1, receivedAt: clock.now() });
    clock.advance(100);
    throttle.forming(bar(60, 2), { eventTimeMs: 2, receivedAt: clock.now() });
    clock.advance(150);
    expect(out.map((o) => o.candle.close)).toEqual([1, 2]);
    throttle.closed(60);
    expect(throttle.stats()).toMatchObject({ emitted: 2, superseded: 0 });
  });

  it('drops forming candles at or before the last closed bar, older bars and older events', () => {
    const { clock, out, throttle } = setup(0);
    throttle.closed(120);
    throttle.forming(bar(60, 1), { eventTimeMs: 10, receivedAt: clock.now() });
    throttle.forming(bar(120, 2), { eventTimeMs: 11, receivedAt: clock.now() });
    throttle.forming(bar(180, 3), { eventTimeMs: 20, receivedAt: clock.now() });
    throttle.forming(bar(180, 4), { eventTimeMs: 19, receivedAt: clock.now() });
    throttle.forming(bar(120, 5), { eventTimeMs: 30, receivedAt: clock.now() });
    clock.advance(1000);
    expect(out.map((o) => o.candle.close)).toEqual([3]);
    expect(throttle.stats()).toMatchObject({ received: 5, emitted: 1, dropped: 4 });
  });

  it('with interval 0 forwards every update immediately', () => {
    const { clock, out, throttle } = setup(0);
    for (let i = 0; i < 5; i++) throttle.forming(bar(60, i), { eventTimeMs: i, receivedAt: clock.now() });
    expect(out.map((o) => o.candle.close)).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps a newer bar racing ahead of the close for its own slot', () => {
    const { clock, out, throttle } = setup(250);
    throttle.forming(bar(60, 1), { eventTimeMs: 1, receivedAt: clock.now() });
    throttle.forming(bar(120, 2), { eventTimeMs: 2, receivedAt: clock.now() });
    throttle.closed(60);
    expect(out.map((o) => o.candle.close)).toEqual([1]);
    clock.advance(250);
    expect(out.map((o) => o.candle.close)).toEqual([1, 2]);
  });

  it('stop() cancels the trailing send', () => {
    const { clock, out, throttle } = setup(250);
    throttle.forming(bar(60, 1), { eventTimeMs: 1, receivedAt: clock.now() });
    throttle.forming(bar(60, 2), { eventTimeMs: 2, receivedAt: clock.now() });
    throttle.stop();
    clock.advance(1000);
    expect(out).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });
});
