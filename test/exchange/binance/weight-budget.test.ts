import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { SharedRestBlock } from '../../../src/exchange/binance/shared-rest-block.js';
import { WeightBudget } from '../../../src/exchange/binance/weight-budget.js';

function setup(weightPerWindow = 100, share = 1) {
  const clock = new ManualClock();
  const budget = new WeightBudget({ weightPerWindow, share, windowMs: 60_000, clock });
  const granted: string[] = [];
  const take = (name: string, weight: number) => budget.acquire(weight).then(() => granted.push(name));
  return { clock, budget, granted, take };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('WeightBudget', () => {
  it('grants up to the budget at once, then blocks until the bucket refills, in order', async () => {
    const { clock, granted, take, budget } = setup(100);
    void take('a', 60);
    void take('b', 40);
    void take('c', 30);
    void take('d', 1);
    await flush();
    expect(granted).toEqual(['a', 'b']);
    // 100 per minute → 30 weight takes 18 s; 'd' waits behind 'c' (FIFO, no overtaking).
    clock.advance(17_000);
    await flush();
    expect(granted).toEqual(['a', 'b']);
    clock.advance(1_000);
    await flush();
    expect(granted).toEqual(['a', 'b', 'c']);
    clock.advance(600);
    await flush();
    expect(granted).toEqual(['a', 'b', 'c', 'd']);
    expect(budget.stats()).toMatchObject({ granted: 131, waits: 2 });
  });

  it('available(): the tokens in the bucket, none while a Retry-After holds or others wait', async () => {
    const { clock, budget, take } = setup(100);
    expect(budget.available()).toBe(100);
    void take('a', 70);
    expect(budget.available()).toBe(30);
    void take('b', 50);
    // 'b' waits for 20 more: nobody may jump the line, so nothing is available.
    expect(budget.available()).toBe(0);
    clock.advance(12_000);
    await flush();
    expect(budget.available()).toBe(0);
    clock.advance(60_000);
    expect(budget.available()).toBe(100);
    budget.blockFor(5_000);
    expect(budget.available()).toBe(0);
    clock.advance(5_000);
    expect(budget.available()).toBe(100);
  });

  it('plans with 80% of the published limit by default', async () => {
    const clock = new ManualClock();
    const budget = new WeightBudget({ weightPerWindow: 2400, clock });
    expect(budget.stats().capacity).toBe(1920);
  });

  it('follows X-MBX-USED-WEIGHT-1M: weight others used is not ours to spend', async () => {
    const { granted, take, budget } = setup(100);
    budget.noteUsed(90);
    void take('a', 10);
    void take('b', 1);
    await flush();
    expect(granted).toEqual(['a']);
    expect(budget.stats().serverUsed).toBe(90);
  });

  it('blocks everyone during Retry-After', async () => {
    const { clock, granted, take, budget } = setup(100);
    budget.blockFor(5_000);
    void take('a', 1);
    await flush();
    clock.advance(4_999);
    await flush();
    expect(granted).toEqual([]);
    clock.advance(1);
    await flush();
    expect(granted).toEqual(['a']);
  });

  it('lets a request heavier than the bucket through once the bucket is full, and aborts waiters', async () => {
    const { clock, granted, take, budget } = setup(10);
    void take('big', 25);
    await flush();
    expect(granted).toEqual(['big']);
    const controller = new AbortController();
    const waiting = budget.acquire(5, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    clock.advance(120_000);
    expect(budget.stats().waiting).toBe(0);
  });

  it("a Retry-After told to one budget holds every budget of the shared block, whatever each one's clock", () => {
    const block = SharedRestBlock.create();
    // As in two threads: separate budgets, separate clocks, one block (its buffer crosses threads).
    const told = new WeightBudget({ weightPerWindow: 100, share: 1, clock: new ManualClock(1_000), shared: block });
    const other = new WeightBudget({ weightPerWindow: 100, share: 1, clock: new ManualClock(9_999_999), shared: new SharedRestBlock(block.buffer) });
    expect(other.available()).toBe(100);
    told.blockFor(30_000);
    expect(other.available()).toBe(0);
    expect(other.blockedForMs()).toBeGreaterThan(29_000);
    expect(other.blockedForMs()).toBeLessThanOrEqual(30_000);
    // A shorter Retry-After later never shortens the deadline.
    other.blockFor(1_000);
    expect(block.remainingMs()).toBeGreaterThan(29_000);
  });
});
