import type { KlineFrame } from '../../domain/kline-frame.js';

/**
 * Drops a kline frame already delivered by another connection. During a rotation (and after a
 * `serverShutdown` notice) two connections carry the same streams for a moment; Binance sends each
 * of them the same events, which are identified by (stream, k.t, k.x, E).
 *
 * Per stream we remember the last RING_SIZE keys. A duplicate arrives on the second connection
 * within a few frames of the first (both are fed by the same server fan-out, milliseconds apart);
 * 32 frames is 8 s of a futures stream at its 250 ms push rate, far beyond that skew.
 */
const RING_SIZE = 32;

class StreamRing {
  readonly openTimes = new Float64Array(RING_SIZE);
  readonly eventTimes = new Float64Array(RING_SIZE).fill(-1);
  readonly closed = new Uint8Array(RING_SIZE);
  next = 0;
  /** Newest E ever recorded: a frame with a later E cannot be a repeat (no scan). */
  newestEvent = -Infinity;
}

export class FrameDedupe {
  private readonly rings = new Map<string, StreamRing>();
  private dropped = 0;

  /** True the first time a frame is seen; false for a repeat (count it, do not deliver it). */
  accept(frame: KlineFrame): boolean {
    const stream = frame.stream!;
    let ring = this.rings.get(stream);
    if (ring === undefined) {
      ring = new StreamRing();
      this.rings.set(stream, ring);
    }
    const t = frame.candleTime;
    const E = frame.eventTimeMs;
    const x = frame.closed ? 1 : 0;
    // The common case: a stream's events come in E order, so only an older or equal E is scanned.
    if (E > ring.newestEvent) {
      ring.newestEvent = E;
    } else {
      for (let i = 0; i < RING_SIZE; i++) {
        if (ring.eventTimes[i] === E && ring.openTimes[i] === t && ring.closed[i] === x) {
          this.dropped++;
          return false;
        }
      }
    }
    const slot = ring.next;
    ring.openTimes[slot] = t;
    ring.eventTimes[slot] = E;
    ring.closed[slot] = x;
    ring.next = (slot + 1) % RING_SIZE;
    return true;
  }

  /** Forget a stream that is no longer subscribed (its ring would otherwise live forever). */
  forget(stream: string): void {
    this.rings.delete(stream);
  }

  /** Frames dropped as duplicates so far. */
  get duplicates(): number {
    return this.dropped;
  }
}
