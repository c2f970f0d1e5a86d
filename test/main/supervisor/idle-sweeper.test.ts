import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/shared/clock.js';
import { IdleSweeper } from '../../../src/main/supervisor/idle-sweeper.js';
import { KeyedSerial } from '../../../src/main/supervisor/keyed-serial.js';

describe('IdleSweeper', () => {
  it('sweeps at the next expiry, re-arms for the one after, and stops after close', () => {
    const clock = new ManualClock(0);
    let expiries = [1000, 2500];
    const swept: number[] = [];
    const sweeper = new IdleSweeper(
      clock,
      () => expiries[0] ?? null,
      (now) => {
        swept.push(now);
        expiries = expiries.filter((t) => t > now);
      },
    );
    sweeper.arm();
    clock.advance(999);
    expect(swept).toEqual([]);
    clock.advance(1);
    expect(swept).toEqual([1000]);
    clock.advance(1500);
    expect(swept).toEqual([1000, 2500]);
    expect(clock.pending()).toBe(0); // nothing idle: no timer

    expiries = [4000];
    sweeper.arm();
    sweeper.close();
    clock.advance(5000);
    expect(swept).toEqual([1000, 2500]);
    expect(clock.pending()).toBe(0);
  });
});

describe('KeyedSerial', () => {
  it('runs one key in order, other keys alongside, and goes on after a failure', async () => {
    const errors: string[] = [];
    const serial = new KeyedSerial((key, err) => errors.push(`${key}: ${(err as Error).message}`));
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = serial.run('a', () => new Promise<void>((r) => (releaseFirst = () => (order.push('a1'), r()))));
    const failing = serial.run('a', async () => {
      order.push('a2');
      throw new Error('boom');
    });
    const third = serial.run('a', async () => void order.push('a3'));
    await serial.run('b', async () => void order.push('b1'));
    expect(order).toEqual(['b1']); // b did not wait for a
    releaseFirst();
    await Promise.all([first, failing, third, serial.settled('a')]);
    expect(order).toEqual(['b1', 'a1', 'a2', 'a3']);
    expect(errors).toEqual(['a: boom']);
  });
});
