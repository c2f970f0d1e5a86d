import { describe, expect, it } from 'vitest';
import { CloseTracker } from '../../../src/ingest/jobs/close-tracker.js';

describe('CloseTracker', () => {
  it('reports consecutive closes as next and a jump as the missing range', () => {
    const tracker = new CloseTracker(60);
    expect(tracker.observe(600)).toEqual({ kind: 'first' });
    expect(tracker.observe(660)).toEqual({ kind: 'next' });
    expect(tracker.observe(900)).toEqual({ kind: 'gap', from: 720, to: 840, bars: 3 });
    expect(tracker.observe(960)).toEqual({ kind: 'next' });
    expect(tracker.last).toBe(960);
    expect([tracker.gaps, tracker.missingBars]).toEqual([1, 3]);
  });

  it('treats repeats and late closes as old without moving back', () => {
    const tracker = new CloseTracker(60, 600);
    expect(tracker.observe(600)).toEqual({ kind: 'old' });
    expect(tracker.observe(540)).toEqual({ kind: 'old' });
    expect(tracker.last).toBe(600);
  });

  it('seeded with the store head, detects the downtime of a restart', () => {
    const tracker = new CloseTracker(3600);
    tracker.seed(7200);
    tracker.seed(3600);
    expect(tracker.observe(18_000)).toEqual({ kind: 'gap', from: 10_800, to: 14_400, bars: 2 });
  });

  it('reveal(): bars the exchange has closed that never arrived are a hole; nothing without a reference', () => {
    const fresh = new CloseTracker(60);
    expect(fresh.reveal(600)).toEqual({ kind: 'first' });
    expect(fresh.last).toBeUndefined();
    const tracker = new CloseTracker(60, 600);
    expect(tracker.reveal(600)).toEqual({ kind: 'old' });
    expect(tracker.reveal(780)).toEqual({ kind: 'gap', from: 660, to: 780, bars: 3 });
    // The late close of a revealed bar is old; the next one is next.
    expect(tracker.observe(780)).toEqual({ kind: 'old' });
    expect(tracker.observe(840)).toEqual({ kind: 'next' });
  });
});
