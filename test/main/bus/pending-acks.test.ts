import { afterEach, describe, expect, it } from 'vitest';
import { PendingAcks } from '../../../src/main/bus/pending-acks.js';

describe('PendingAcks', () => {
  let now = 0;
  const acks = new PendingAcks<number>(1_000_000, () => now); // swept by hand below
  afterEach(() => acks.close(new Error('test over')));

  it('settles by token, times out past the deadline on a sweep, and ignores late or unknown tokens', async () => {
    const a = acks.add(100);
    const b = acks.add(100);
    const c = acks.add(500);
    expect(new Set([a.token, b.token, c.token]).size).toBe(3);
    acks.settle(b.token, 42);
    acks.settle(a.token, new Error('refused'));
    await expect(b.promise).resolves.toBe(42);
    await expect(a.promise).rejects.toThrow('refused');

    now = 100;
    acks.sweep();
    expect(acks.size).toBe(1); // c has until 500
    now = 500;
    acks.sweep();
    await expect(c.promise).rejects.toThrow('timeout');
    acks.settle(c.token, 7); // the ack came after its timeout: nothing to settle
    expect(acks.size).toBe(0);
  });

  it('rejects what is pending when closed', async () => {
    const a = acks.add(100);
    acks.close(new Error('bus closed'));
    await expect(a.promise).rejects.toThrow('bus closed');
    expect(acks.size).toBe(0);
  });
});
