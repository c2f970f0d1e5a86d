import type { Clock } from '../../shared/clock.js';

/** Entries kept before old ones are swept (one per client and market asking for `force`). */
const SWEEP_AT_ENTRIES = 10_000;

/**
 * trade_canvas's MinIntervalLimiter: a key (client address + market) may do something at most
 * once per `minIntervalMs` (`force=1` on the market list: 429 `rate_limited` faster than 2 s).
 * Bounded: entries older than the interval are swept once there are many.
 */
export class ForceLimiter {
  private readonly lastAt = new Map<string, number>();

  constructor(
    private readonly minIntervalMs: number,
    private readonly clock: Clock,
  ) {}

  /** True (and remembered) when `key` may go now. */
  allow(key: string): boolean {
    const now = this.clock.now();
    const last = this.lastAt.get(key);
    if (last !== undefined && now - last < this.minIntervalMs) return false;
    if (this.lastAt.size >= SWEEP_AT_ENTRIES) {
      for (const [k, at] of this.lastAt) if (now - at >= this.minIntervalMs) this.lastAt.delete(k);
    }
    this.lastAt.set(key, now);
    return true;
  }
}
