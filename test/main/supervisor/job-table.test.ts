import { describe, expect, it } from 'vitest';
import { JobTable } from '../../../src/main/supervisor/job-table.js';

const A = 'binance:futures:BTC/USDT:1m';
const B = 'binance:futures:ETH/USDT:1m';
const C = 'binance:spot:SOL/USDT:1m';
const W = 'binance:futures:XRP/USDT:1m';

describe('JobTable', () => {
  it('counts references: the first subscribe starts a job, later ones join it, the last release makes it idle', () => {
    const table = new JobTable(0);
    expect(table.acquire(A)).toMatchObject({ kind: 'start', evict: null });
    expect(table.acquire(A)).toMatchObject({ kind: 'joined' });
    expect(table.release(A, 1000)).toBe(false);
    expect(table.get(A)).toMatchObject({ refcount: 1, lastZeroAt: null });
    expect(table.release(A, 2000)).toBe(true);
    expect(table.get(A)).toMatchObject({ refcount: 0, lastZeroAt: 2000 });
    // A release too many (e.g. after an eviction) changes nothing.
    expect(table.release(A, 3000)).toBe(false);
    expect(table.get(A)!.lastZeroAt).toBe(2000);
    // Re-acquired before its TTL: no longer idle.
    expect(table.acquire(A)).toMatchObject({ kind: 'joined' });
    expect(table.get(A)).toMatchObject({ refcount: 1, lastZeroAt: null });
  });

  it('expires on-demand jobs idle for the TTL, oldest first; whitelist jobs never', () => {
    const table = new JobTable(0);
    table.pin(W);
    for (const s of [A, B, C]) table.acquire(s);
    table.acquire(W);
    table.release(B, 1000);
    table.release(A, 2000);
    table.release(W, 500);
    expect(table.expired(60_999, 60_000).map((e) => e.seriesId)).toEqual([]);
    expect(table.expired(61_000, 60_000).map((e) => e.seriesId)).toEqual([B]);
    expect(table.expired(100_000, 60_000).map((e) => e.seriesId)).toEqual([B, A]);
    expect(table.nextExpiry(60_000)).toBe(61_000);
    table.acquire(B);
    expect(table.nextExpiry(60_000)).toBe(62_000);
    expect(JobTable.wanted(table.get(W)!)).toBe(true);
    expect(JobTable.wanted(table.get(A)!)).toBe(false);
    expect(JobTable.wanted(table.get(C)!)).toBe(true);
  });

  it('at capacity evicts the idle job with the oldest zero-time, else refuses; pinned jobs do not count', () => {
    const table = new JobTable(2);
    table.pin(W);
    expect(table.acquire(A).kind).toBe('start');
    expect(table.acquire(B).kind).toBe('start');
    expect(table.acquire(C)).toEqual({ kind: 'refused' });
    expect(table.get(C)).toBeUndefined();
    table.release(B, 2000);
    table.release(A, 3000);
    const decision = table.acquire(C);
    expect(decision).toMatchObject({ kind: 'start', evict: { seriesId: B } });
    expect(table.get(B)).toBeUndefined();
    expect(table.acquire(B)).toMatchObject({ kind: 'start', evict: { seriesId: A } });
    expect(table.acquire(A)).toEqual({ kind: 'refused' });
    expect([table.refused, table.evictions, table.ondemandCount]).toEqual([2, 2, 2]);
    // Joining an existing job is never refused.
    expect(table.acquire(C).kind).toBe('joined');
  });

  it('a whitelisted series already running on demand becomes pinned', () => {
    const table = new JobTable(1);
    table.acquire(A);
    expect(table.pin(A)).toMatchObject({ created: false, entry: { source: 'whitelist', refcount: 1 } });
    expect(table.ondemandCount).toBe(0);
    expect(table.acquire(B).kind).toBe('start');
  });
});
