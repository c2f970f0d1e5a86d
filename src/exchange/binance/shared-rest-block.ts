import type { LiveMarket } from '../../domain/series-id.js';

/**
 * A Retry-After that every thread of the process honours. Binance's REST limits are per IP: when
 * one thread gets 429 (or 418) with Retry-After, any other thread that keeps calling inside that
 * window only extends the ban — measured with the fake: one 429 seen by one ingest worker grew into
 * 55 418s from the other, and 32 holds passed their bound. So the deadline lives in shared memory
 * (one Int64 of epoch ms per host), written with a compare-and-swap max by whichever thread is
 * told, read by every thread's WeightBudget before each request.
 *
 * Epoch ms (Date.now), not a thread's Clock: threads may run different clocks in tests, and the
 * reader converts the deadline into its own clock's terms as "ms from now".
 */
export class SharedRestBlock {
  private readonly until: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.until = new BigInt64Array(buffer);
  }

  static create(): SharedRestBlock {
    return new SharedRestBlock(new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT));
  }

  /** Nobody calls this host before `epochMs` (keeps a later deadline already set). */
  blockUntil(epochMs: number): void {
    const next = BigInt(Math.ceil(epochMs));
    for (;;) {
      const current = Atomics.load(this.until, 0);
      if (current >= next || Atomics.compareExchange(this.until, 0, current, next) === current) return;
    }
  }

  /** Milliseconds until the deadline (0 when none is pending). */
  remainingMs(nowEpochMs = Date.now()): number {
    return Math.max(0, Number(Atomics.load(this.until, 0)) - nowEpochMs);
  }
}

/** The shared blocks of both Binance REST hosts, as their buffers travel to worker threads. */
export type RestBlockBuffers = Readonly<Record<LiveMarket, SharedArrayBuffer>>;

export function createRestBlocks(): RestBlockBuffers {
  return { spot: SharedRestBlock.create().buffer, futures: SharedRestBlock.create().buffer };
}
