import type { OutboundFrame, WireEncoding } from '../../protocol/server-messages.js';
import { UNBOUNDED_BUDGET, type OutboundBudget } from './outbound-budget.js';
import { topicJoinBytes } from './topic-group.js';

/** The socket as the hub needs it (satisfied by the transport's WsPeer). */
export interface ClientSocket {
  send(data: Uint8Array | string, binary: boolean): 'sent' | 'buffered' | 'dropped';
  bufferedAmount(): number;
  cork(fn: () => void): void;
  end(code: number, reason: string): void;
  /** Joins / leaves a native fan-out topic (topic-group.ts). */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  readonly closed: boolean;
}

export interface OutboxLimits {
  /** Closed data that would take the buffer past this closes the socket (1008). */
  readonly maxBufferedBytes: number;
  /** Above this many buffered bytes, forming updates are skipped. */
  readonly formingSkipBytes: number;
}

export interface OutboxCounters {
  framesSent: number;
  bytesSent: number;
  formingSkipped: number;
  slowConsumerCloses: number;
  /** Of those closes, the ones forced by the process-wide bound (OutboundBudget). */
  globalBufferCloses: number;
  /** Native fan-out (topic-group.ts): joins, leaves, and frames published (once per topic). */
  topicJoins: number;
  topicLeaves: number;
  topicPublishes: number;
  /** Leases renewed (members' buffers measured again, topic-group.ts). */
  topicRenewals: number;
}

/** Close code and reason for a consumer that cannot keep up (contract §3). */
export const SLOW_CONSUMER_CLOSE = { code: 1008, reason: 'slow_consumer' } as const;

/**
 * Frames for one connection, sent in one corked batch per turn of the event loop: a commit that
 * touches 100 series costs each socket one syscall, not 100.
 */
const NO_FRAMES: readonly OutboundFrame[] = [];

export class Outbox {
  private frames: OutboundFrame[] = [];
  private dirty = false;
  /** Flush state, kept on the instance so the corked callback is allocated once per outbox. */
  private pending: readonly OutboundFrame[] = NO_FRAMES;
  private buffered = 0;
  /** This socket's share of the process-wide budget, as last reported. */
  private accounted = 0;
  private overflow = false;
  private overflowGlobal = false;
  private readonly binary: boolean;
  /** Called after a flush that sent everything, with the socket's buffered bytes (topic joins). */
  onFlushed: ((buffered: number) => void) | null = null;

  constructor(
    private readonly socket: ClientSocket,
    readonly encoding: WireEncoding,
    private readonly limits: OutboxLimits,
    private readonly scheduler: FlushScheduler,
    private readonly counters: OutboxCounters,
    private readonly budget: OutboundBudget = UNBOUNDED_BUDGET,
  ) {
    this.binary = encoding === 'msgpack';
  }

  push(frame: OutboundFrame): void {
    if (this.socket.closed) return;
    this.frames.push(frame);
    if (!this.dirty) {
      this.dirty = true;
      this.scheduler.schedule(this);
    }
  }

  /** The most a topic member may have buffered: it must never reach a point where it skips or closes. */
  get topicCap(): number {
    return Math.min(this.limits.formingSkipBytes, this.limits.maxBufferedBytes);
  }

  subscribeTopic(topic: string): void {
    if (!this.socket.closed) this.socket.subscribe(topic);
  }

  unsubscribeTopic(topic: string): void {
    if (!this.socket.closed) this.socket.unsubscribe(topic);
  }

  /** True when the socket has room for more catch-up data (paced, never over the bound). */
  get writable(): boolean {
    return !this.socket.closed && this.socket.bufferedAmount() <= this.limits.formingSkipBytes;
  }

  private readonly sendPending = (): void => {
    const budget = this.budget;
    for (const frame of this.pending) {
      const bytes = frame.bytes(this.encoding);
      // The process-wide bound only ever binds sockets that are themselves behind.
      const backlogged = this.buffered > 0;
      if (frame.kind === 'forming') {
        if (this.buffered > this.limits.formingSkipBytes || (backlogged && budget.skipForming)) {
          this.counters.formingSkipped++;
          continue;
        }
      } else if (this.buffered + bytes.length > this.limits.maxBufferedBytes) {
        this.overflow = true;
        return;
      } else if (backlogged && budget.wouldOverflow(bytes.length)) {
        this.overflow = true;
        this.overflowGlobal = true;
        return;
      }
      const status = this.socket.send(bytes, this.binary);
      if (status === 'dropped') {
        if (frame.kind !== 'forming') {
          this.overflow = true;
          return;
        }
        continue;
      }
      // 'sent' went to the kernel; anything else waits in the library's buffer.
      if (status !== 'sent') {
        this.buffered += bytes.length;
        this.accounted += bytes.length;
        budget.adjust(bytes.length);
      }
      this.counters.framesSent++;
      this.counters.bytesSent += bytes.length;
    }
  };

  flush(): void {
    this.dirty = false;
    const frames = this.frames;
    this.frames = [];
    if (this.socket.closed || frames.length === 0) return;
    // One crossing into the socket library for the buffered amount per flush; bytes this flush
    // adds are counted on top, so the bounds hold (conservatively) without asking per frame.
    this.refreshBuffered();
    this.overflow = false;
    this.overflowGlobal = false;
    this.pending = frames;
    // A lone frame (the common live case) needs no cork: one send is one write either way.
    if (frames.length === 1) this.sendPending();
    else this.socket.cork(this.sendPending);
    this.pending = NO_FRAMES;
    if (this.overflow) {
      // Closed data we cannot queue: close rather than lose or stall; the client resumes with since.
      this.counters.slowConsumerCloses++;
      if (this.overflowGlobal) this.counters.globalBufferCloses++;
      this.socket.end(SLOW_CONSUMER_CLOSE.code, SLOW_CONSUMER_CLOSE.reason);
    } else if (this.onFlushed && !this.socket.closed && this.buffered <= topicJoinBytes(this.topicCap)) {
      // Only a socket that could join a topic asks (a socket behind stays on this path cheaply).
      this.onFlushed(this.buffered);
    }
  }

  /**
   * Reads the socket's buffered bytes and reports the change to the process-wide budget (flush,
   * drain, topic lease renewal); returns them.
   */
  refreshBuffered(): number {
    const now = this.socket.closed ? 0 : this.socket.bufferedAmount();
    this.budget.adjust(now - this.accounted);
    this.accounted = now;
    this.buffered = now;
    return now;
  }

  /**
   * The socket closed. Its share of the budget is free again at once when the transport freed its
   * buffer (`heldForMs` 0), or once the transport must have freed it (an ended socket still sends
   * what it buffered: OutboundBudget.holdClosed).
   */
  release(heldForMs = 0): void {
    if (heldForMs > 0 && this.accounted > 0) this.budget.holdClosed(this.accounted, heldForMs);
    else this.budget.adjust(-this.accounted);
    this.accounted = 0;
    this.buffered = 0;
  }
}

/** Flushes every outbox touched during the current turn, once, when the turn's work is done. */
export class FlushScheduler {
  private pending: Outbox[] = [];
  private scheduled = false;

  schedule(outbox: Outbox): void {
    this.pending.push(outbox);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flushAll());
    }
  }

  flushAll(): void {
    this.scheduled = false;
    const outboxes = this.pending;
    this.pending = [];
    for (const outbox of outboxes) outbox.flush();
  }
}
