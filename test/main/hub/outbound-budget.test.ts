import { describe, expect, it } from 'vitest';
import { OutboundBudget } from '../../../src/main/hub/outbound-budget.js';

/** A budget on a clock the test moves; bound 4,000 bytes: 1,000 for topic leases, 3,000 for outboxes. */
function budget(): { b: OutboundBudget; clock: { ms: number } } {
  const clock = { ms: 10_000 };
  const b = new OutboundBudget(() => clock.ms);
  b.setBound(4000);
  return { b, clock };
}

describe('OutboundBudget: closed sockets whose buffer the transport still holds', () => {
  it('keeps a closed socket counted until its hold ends, never earlier', () => {
    const { b, clock } = budget();
    b.adjust(2500);
    expect(b.wouldOverflow(400)).toBe(false);
    b.holdClosed(2500, 20_000);
    // The bytes still count: the bound binds as before the close.
    expect(b.total).toBe(2500);
    expect(b.heldByClosedSockets).toBe(2500);
    expect(b.wouldOverflow(600)).toBe(true);
    expect(b.skipForming).toBe(true);
    clock.ms += 19_999;
    expect(b.wouldOverflow(600)).toBe(true);
    expect(b.heldByClosedSockets).toBe(2500);
    clock.ms += 1_000; // past the hold, rounded up to the next whole second
    expect(b.wouldOverflow(600)).toBe(false);
    expect(b.skipForming).toBe(false);
    expect(b.heldByClosedSockets).toBe(0);
    expect(b.total).toBe(0);
  });

  it('expires holds oldest first while open sockets keep their own share', () => {
    const { b, clock } = budget();
    b.adjust(1000);
    b.holdClosed(1000, 8_000);
    clock.ms += 5_000;
    b.adjust(1200);
    b.holdClosed(1200, 8_000);
    b.adjust(300); // an open socket
    expect(b.total).toBe(2500);
    clock.ms += 4_000; // the first hold is over, the second is not
    expect(b.heldByClosedSockets).toBe(1200);
    expect(b.total).toBe(1500);
    clock.ms += 5_000;
    expect(b.heldByClosedSockets).toBe(0);
    expect(b.total).toBe(300);
  });

  it('many closes in the same second share one hold: the list stays bounded by the hold time', () => {
    const { b, clock } = budget();
    for (let i = 0; i < 10_000; i++) {
      b.adjust(3);
      b.holdClosed(3, 20_000);
      clock.ms += 0.5; // 10,000 closes within 5 s
    }
    expect(b.heldByClosedSockets).toBe(30_000);
    expect((b as unknown as { closedHolds: unknown[] }).closedHolds.length).toBeLessThanOrEqual(6);
    clock.ms += 21_000;
    expect(b.heldByClosedSockets).toBe(0);
  });

  it('a close every 2 s for a day, the total never read: the list holds only the holds not yet over', () => {
    const { b, clock } = budget();
    const holds = () => (b as unknown as { closedHolds: unknown[] }).closedHolds.length;
    let longest = 0;
    for (let i = 0; i < 43_200; i++) {
      b.adjust(10);
      b.holdClosed(10, 20_000);
      longest = Math.max(longest, holds());
      clock.ms += 2_000;
    }
    expect(longest).toBeLessThanOrEqual(11);
    expect(b.heldByClosedSockets).toBeLessThanOrEqual(110);
  });

  it('topic reservations count in the total but not against the outbox share', () => {
    const { b } = budget();
    b.reserveForTopics(1000);
    b.adjust(2000);
    b.holdClosed(2000, 4_000);
    expect(b.total).toBe(3000);
    expect(b.wouldOverflow(1000)).toBe(false);
    expect(b.wouldOverflow(1001)).toBe(true);
  });
});
