import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../web/sync/backoff.js';
import { CandleBook } from '../../web/sync/candle-book.js';
import { OlderBars } from '../../web/sync/older-bars.js';
import { SyncSession } from '../../web/sync/sync-session.js';
import { FakeClock, FakeFetch } from './fake-browser.js';

const BTC = 'binance:futures:BTC/USDT:1m';
const UNAVAILABLE = { ok: false, retryable: true, reason: 'HTTP 503' } as const;
const NOT_FOUND = { ok: false, retryable: false, reason: 'HTTP 404' } as const;

/** A session on a clock the test drives; `random` 0 means no jitter (delays 500, 1000, 2000 … ms). */
function session() {
  const clock = new FakeClock();
  const older = () => new OlderBars(BTC, new FakeFetch().fetch, '', new CandleBook(), () => true);
  return { clock, s: new SyncSession(BTC, older, DEFAULT_BACKOFF, () => 0, clock) };
}

describe('SyncSession refill queue', () => {
  it('runs one refill at a time and keeps the earliest start announced meanwhile', () => {
    const { s } = session();
    expect(s.startRefill(300)).toBe(true);
    expect(s.refilling).toBe(true);
    expect(s.startRefill(480)).toBe(false);
    expect(s.startRefill(360)).toBe(false);
    s.refillAnswered();
    expect(s.refilling).toBe(false);
    expect(s.takeQueuedRefill()).toBe(360);
    expect(s.takeQueuedRefill()).toBeUndefined();
  });

  it('treats null (nothing closed yet) as the earliest start', () => {
    const { s } = session();
    s.startRefill(300);
    s.startRefill(120);
    s.startRefill(null);
    s.startRefill(60);
    s.refillAnswered();
    expect(s.takeQueuedRefill()).toBeNull();
  });
});

describe('SyncSession HTTP retry', () => {
  it('asks again after a growing delay, and from the shortest one after a success', () => {
    const { s, clock } = session();
    let runs = 0;
    expect(s.httpFailed(UNAVAILABLE, () => runs++)).toBe(500);
    clock.advance(499);
    expect(runs).toBe(0);
    clock.advance(1);
    expect(runs).toBe(1);
    expect(s.httpFailed(UNAVAILABLE, () => runs++)).toBe(1000);
    s.httpSucceeded();
    expect(s.httpFailed(UNAVAILABLE, () => runs++)).toBe(500);
    expect(s.terminal).toBe(false);
  });

  it('gives up on a request that asking again cannot help: terminal, no timer', () => {
    const { s, clock } = session();
    expect(s.httpFailed(NOT_FOUND, () => expect.unreachable('no retry after a 4xx'))).toBeNull();
    expect(s.terminal).toBe(true);
    expect(clock.pending()).toEqual([]);
  });

  it('a cancelled retry never runs', () => {
    const { s, clock } = session();
    let runs = 0;
    s.httpFailed(UNAVAILABLE, () => runs++);
    s.cancelRetry();
    clock.advance(10_000);
    expect(runs).toBe(0);
    expect(clock.pending()).toEqual([]);
  });
});
