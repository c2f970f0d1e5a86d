import { randomBytes } from 'node:crypto';
import { candleCount } from '../../domain/candle.js';
import { encodeCommitted, encodeResync } from '../../protocol/bus-messages.js';
import { Backoff } from '../../shared/backoff.js';
import { monotonicMs } from '../../shared/clock.js';
import { createLogger } from '../../shared/log.js';
import type { CommittedMessage } from '../../writer/contract.js';
import type { Bus } from './bus.js';
import type { ClusterNames } from './cluster-names.js';

const log = createLogger('bus.publisher');

/** Publishes in flight at once: keeps the stream's acks pipelined (one at a time caps at ~10k/s here). */
const WINDOW = 256;
/** A publish not acknowledged by then is retried (same message id: stored at most once). */
const PUBLISH_TIMEOUT_MS = 5000;
const RETRY_BASE_MS = 100;
const RETRY_CAP_MS = 5000;

interface Entry {
  readonly subject: string;
  readonly bytes: Uint8Array;
  readonly msgId: string;
  readonly candles: number;
  acked: boolean;
  sending: boolean;
}

export interface PublisherStats {
  readonly pendingMessages: number;
  readonly pendingCandles: number;
  readonly publishedMessages: number;
  readonly publishedCandles: number;
  readonly retries: number;
  readonly droppedCandles: number;
  readonly resyncsSent: number;
  /** Highest stream sequence this node's publishes got. */
  readonly lastSeq: number;
}

/**
 * Puts what this node's writer committed on the stream (invariant 1: only after the commit): one
 * message per series per commit, in commit order, pipelined, each retried until the stream acks
 * it. The queue of unacknowledged candles is bounded (TRADE_CANVAS_BUS_MAX_PENDING_CANDLES):
 * when NATS stays away long enough to fill it, newer commits are dropped from the bus (they are
 * in PostgreSQL), counted and logged, and once the queue drains a resync message tells every read
 * node to reload its caches from the store, so nothing committed stays missing there.
 */
export class CommittedPublisher {
  private readonly queue: Entry[] = [];
  private readonly boot = randomBytes(6).toString('hex');
  private counter = 0;
  private inFlight = 0;
  private paused = false;
  private enqueued = 0;
  private acked = 0;
  private waiters: Array<{ target: number; resolve: (seq: number) => void }> = [];
  private readonly backoff = new Backoff({ baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS });
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncOwed = false;
  private dropping = false;
  private closed = false;
  private pendingCandlesNow = 0;
  private readonly counters = { publishedMessages: 0, publishedCandles: 0, retries: 0, droppedCandles: 0, resyncsSent: 0, lastSeq: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly names: ClusterNames,
    private readonly node: string,
    private readonly maxPendingCandles: number,
  ) {}

  /** A commit of this node's writer: one message per series, queued in order. */
  enqueue(msg: CommittedMessage): void {
    const committedAtWallMs = Date.now() - Math.max(0, monotonicMs() - msg.committedAtMs);
    for (const s of msg.segments) {
      const candles = candleCount(s.data);
      if (this.pendingCandlesNow + candles > this.maxPendingCandles) {
        this.drop(s.seriesId, candles);
        continue;
      }
      const bytes = encodeCommitted({ seriesId: s.seriesId, data: s.data, head: s.head, publish: s.publish, node: this.node, committedAtWallMs });
      this.push(this.names.closedSubject(s.seriesId), bytes, candles);
    }
    this.pump();
  }

  /**
   * Resolves when everything queued so far is on the stream, with the highest sequence acked by
   * then (at least that of the caller's commit), or null after `timeoutMs` (NATS away).
   */
  whenPublished(timeoutMs: number): Promise<number | null> {
    if (this.acked >= this.enqueued) return Promise.resolve(this.counters.lastSeq);
    return new Promise((resolve) => {
      const waiter = { target: this.enqueued, resolve: (seq: number | null) => (clearTimeout(timer), resolve(seq)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(waiter as { target: number; resolve: (seq: number) => void });
    });
  }

  stats(): PublisherStats {
    return { pendingMessages: this.queue.length, pendingCandles: this.pendingCandlesNow, ...this.counters };
  }

  /** Stops retrying; what is still queued stays unpublished (its commits are in PostgreSQL). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private push(subject: string, bytes: Uint8Array, candles: number): void {
    this.queue.push({ subject, bytes, msgId: `${this.node}.${this.boot}.${++this.counter}`, candles, acked: false, sending: false });
    this.pendingCandlesNow += candles;
    this.enqueued++;
  }

  private drop(seriesId: string, candles: number): void {
    this.counters.droppedCandles += candles;
    this.resyncOwed = true;
    if (!this.dropping) {
      this.dropping = true;
      log.error('bus publish queue full; committed candles are left off the bus (they are in the store; read nodes will reload)', {
        seriesId,
        maxPendingCandles: this.maxPendingCandles,
      });
    }
  }

  private pump(): void {
    if (this.paused || this.closed) return;
    for (const entry of this.queue) {
      if (this.inFlight >= WINDOW) return;
      if (entry.acked || entry.sending) continue;
      this.send(entry);
    }
  }

  private send(entry: Entry): void {
    entry.sending = true;
    this.inFlight++;
    this.bus.publishDurable(entry.subject, entry.bytes, entry.msgId, PUBLISH_TIMEOUT_MS).then(
      (ack) => {
        entry.sending = false;
        this.inFlight--;
        entry.acked = true;
        if (ack.seq > this.counters.lastSeq) this.counters.lastSeq = ack.seq;
        this.settleFront();
        this.pump();
      },
      (err: unknown) => {
        entry.sending = false;
        this.inFlight--;
        this.counters.retries++;
        if (!this.paused) {
          log.warn('bus publish failed; retrying in order', { subject: entry.subject, error: (err as Error).message, pending: this.queue.length });
          this.paused = true;
        }
        if (this.inFlight === 0) this.scheduleRetry();
      },
    );
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.paused = false;
      this.pump();
    }, this.backoff.next());
  }

  /** Drops the acknowledged front of the queue and wakes the writers waiting for it. */
  private settleFront(): void {
    while (this.queue.length > 0 && this.queue[0]!.acked) {
      const entry = this.queue.shift()!;
      this.pendingCandlesNow -= entry.candles;
      this.acked++;
      this.counters.publishedMessages++;
      this.counters.publishedCandles += entry.candles;
    }
    if (this.queue.length === 0) {
      this.backoff.reset();
      this.dropping = false;
      if (this.resyncOwed) this.sendResync();
    }
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.target <= this.acked);
    this.waiters = this.waiters.filter((w) => w.target > this.acked);
    for (const w of ready) w.resolve(this.counters.lastSeq);
  }

  private sendResync(): void {
    this.resyncOwed = false;
    this.counters.resyncsSent++;
    log.warn('bus publish queue drained after drops; telling read nodes to reload from the store');
    this.push(this.names.resyncSubject, encodeResync({ node: this.node, reason: 'publisher dropped committed candles at its bound' }), 0);
  }
}
