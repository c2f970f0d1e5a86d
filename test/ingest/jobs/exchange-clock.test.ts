import { describe, expect, it } from 'vitest';
import { ExchangeClock } from '../../../src/ingest/jobs/exchange-clock.js';

describe('ExchangeClock', () => {
  it('follows the newest event time plus monotonic time since, never moved back by a stale frame', () => {
    let wall = 1_000_000;
    let mono = 0;
    const clock = new ExchangeClock(
      () => wall,
      () => mono,
    );
    expect(clock.now()).toBe(1_000_000);
    expect(clock.offset).toBeNull();
    clock.observe(5_000_000); // the exchange (or the fake's virtual clock) is ahead of us
    mono += 100;
    expect(clock.now()).toBe(5_000_100);
    clock.observe(4_000_000); // a stale frame from a lagging connection
    expect(clock.now()).toBe(5_000_100);
    // A jump of the wall clock changes nothing; the offset is reported against it.
    wall += 3_600_000;
    expect(clock.now()).toBe(5_000_100);
    clock.observe(5_000_500);
    mono += 50;
    expect(clock.now()).toBe(5_000_550);
    expect(clock.offset).toBe(5_000_550 - wall);
  });
});
