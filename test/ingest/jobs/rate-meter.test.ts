import { describe, expect, it } from 'vitest';
import { RateMeter } from '../../../src/ingest/jobs/rate-meter.js';
import { ManualClock } from '../../../src/shared/clock.js';

describe('RateMeter', () => {
  it('averages events per second over the last minute of 5 s buckets', () => {
    const clock = new ManualClock();
    const meter = new RateMeter(clock);
    // 10 events per second for 90 s: only the last minute counts.
    for (let s = 0; s < 90; s++) {
      for (let k = 0; k < 10; k++) meter.record(clock.now());
      clock.advance(1000);
    }
    clock.advance(-1000);
    expect(meter.perSecond()).toBe(10);
  });

  it('starts a bucket afresh when the clock comes back to its slot a round later, and counts a late reading in its own bucket', () => {
    const clock = new ManualClock();
    const meter = new RateMeter(clock);
    const t0 = clock.now();
    meter.record(t0, 600);
    // Twelve buckets later the same slot holds a new bucket: the old 600 must not survive in it.
    meter.record(t0 + 60_000, 60);
    clock.advance(60_000);
    expect(meter.perSecond()).toBe(1);
    // A reading from an earlier bucket (another connection's read stamp) lands in that bucket,
    meter.record(t0 + 55_000, 60);
    expect(meter.perSecond()).toBe(2);
    // which leaves the window before the current one does.
    clock.advance(55_000);
    expect(meter.perSecond()).toBe(1);
  });
});
