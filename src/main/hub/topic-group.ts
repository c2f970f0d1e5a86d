import type { OutboundFrame, WireEncoding } from '../../protocol/server-messages.js';
import type { OutboundBudget } from './outbound-budget.js';
import type { OutboxCounters } from './outbox.js';
import type { Subscription } from './subscription.js';
import type { TurnClock } from './turn-clock.js';

/**
 * The socket library's native fan-out (uWS topics), as the hub sees it: one publish reaches every
 * socket subscribed to `topic`, in the order of the calls, interleaved exactly with that socket's
 * own sends (a direct send first writes out what was published to it before).
 */
export interface TopicPublisher {
  publish(topic: string, data: Uint8Array, binary: boolean): void;
}

/** A lease shorter than this is not worth a join (it would end at the next frame or two). */
const MIN_LEASE_BYTES = 4 * 1024;

/** What every group of the hub shares. */
export interface TopicEnv {
  /** Null until the transport is attached (and in unit tests without one): nobody joins. */
  readonly publisher: TopicPublisher | null;
  readonly budget: OutboundBudget;
  readonly counters: OutboxCounters;
  readonly clock: TurnClock;
  /** Subscriptions in the whole hub: the budget's topic share is split between them. */
  subscriptions(): number;
}

/**
 * Subscribers of one series that receive exactly the same frames — same encoding, same
 * `supports_batch`, same `last_sent_time` — and get them with ONE publish per frame instead of one
 * send per subscriber (docs/architecture.md, "Fan-out").
 *
 * The hub cannot see a member's buffer grow (uWS writes topic frames itself, and its own limit,
 * maxBackpressure, drops frames silently), so membership is a lease counted in bytes. A member
 * starts a lease with at most `cap / 4` buffered, counting frames published but possibly not yet
 * written (turn-clock.ts), and a lease lasts `cap / 2` published bytes at most, so a member never
 * has more than 3/4 of `cap` buffered: below the point where it would skip forming updates or
 * risk a slow-consumer close, far below uWS's dropping point. When a lease runs out, each
 * member's buffer is measured again: those still under `cap / 4` stay for the next lease, the
 * others leave — back to their own outbox with `last_sent_time` = the group's, where the
 * per-socket rules apply exactly as before — and rejoin once they have caught up. The bytes a
 * lease may leave buffered are reserved in the process-wide budget while it runs; when that
 * budget is tight, every member leaves.
 */
export class TopicGroup {
  readonly members = new Set<Subscription>();
  /** last_sent_time of every member (they all got the same frames). */
  lastSent: number | null = null;
  /** Bytes each member may still be sent under the current lease. */
  private leaseLeft = 0;
  /** Bytes this lease reserved in the budget (released when it ends). */
  private reserved = 0;
  /** Bytes published during the clock's current and previous tick (not yet written, maybe). */
  private tick = -1;
  private tickBytes = 0;
  private previousTickBytes = 0;

  constructor(
    readonly topic: string,
    readonly encoding: WireEncoding,
    readonly supportsBatch: boolean,
    /** Per-member bound: min(forming-skip bytes, per-socket maximum). */
    private readonly cap: number,
    private readonly env: TopicEnv,
  ) {}

  /** The most a member may have buffered to start (or keep) a lease. */
  private get startBytes(): number {
    return this.cap / 4;
  }

  /**
   * Whether `sub` (live, caught up, its outbox just flushed with `buffered` bytes in the socket)
   * may join now. Joining is synchronous: frames published after this call reach it by the topic,
   * frames before it went through its outbox.
   */
  canJoin(sub: Subscription, buffered: number): boolean {
    if (buffered + this.undrainedBytes() > this.startBytes) return false;
    if (this.env.budget.skipForming && buffered > 0) return false;
    if (this.members.size === 0) return this.leaseBytes() >= MIN_LEASE_BYTES;
    return sub.lastSent === this.lastSent && this.leaseLeft >= MIN_LEASE_BYTES;
  }

  /** Adds a member that `canJoin` accepted; its socket is subscribed by the caller. */
  add(sub: Subscription): void {
    if (this.members.size === 0) {
      this.lastSent = sub.lastSent;
      this.leaseLeft = this.leaseBytes();
    }
    this.members.add(sub);
    this.env.counters.topicJoins++;
  }

  remove(sub: Subscription): boolean {
    if (!this.members.delete(sub)) return false;
    this.env.counters.topicLeaves++;
    if (this.members.size === 0) this.endLease();
    return true;
  }

  /**
   * Publishes `frames` (one delivery, in order) to every member, or returns false without sending
   * anything when they do not fit the lease or the budget (the caller renews or dissolves).
   */
  publish(frames: readonly OutboundFrame[]): boolean {
    let size = 0;
    let forming = false;
    for (const frame of frames) {
      size += frame.bytes(this.encoding).length;
      if (frame.kind === 'forming') forming = true;
    }
    const n = this.members.size;
    const budget = this.env.budget;
    if (size > this.leaseLeft) return false;
    // The outbox part of the budget is short of room: a member with a backlog would skip this
    // forming update, or be closed rather than queue this closed data, so the per-socket rules
    // decide (the caller dissolves the group).
    if (forming ? budget.skipForming : budget.wouldOverflow(size)) return false;
    this.leaseLeft -= size;
    this.reserve(size * n);
    this.countUndrained(size);
    const binary = this.encoding === 'msgpack';
    const publisher = this.env.publisher!;
    for (const frame of frames) publisher.publish(this.topic, frame.bytes(this.encoding), binary);
    this.env.counters.framesSent += frames.length * n;
    this.env.counters.bytesSent += size * n;
    this.env.counters.topicPublishes += frames.length;
    return true;
  }

  /** Whether a member whose socket reports `buffered` bytes may stay for the next lease. */
  mayStay(buffered: number): boolean {
    return buffered + this.undrainedBytes() <= this.startBytes && !(this.env.budget.skipForming && buffered > 0);
  }

  /**
   * Starts the next lease for the members that stayed. Their measured buffers are in the budget
   * through their outboxes (Outbox.refreshBuffered); what may still be unwritten is reserved.
   */
  renew(): void {
    this.endLease();
    if (this.members.size === 0) return;
    this.leaseLeft = this.leaseBytes();
    this.reserve(this.undrainedBytes() * this.members.size);
    this.env.counters.topicRenewals++;
  }

  /** Frames published to this topic that a socket's buffered amount may not show yet. */
  private undrainedBytes(): number {
    const now = this.env.clock.now();
    if (now === this.tick) return this.tickBytes + this.previousTickBytes;
    return now === this.tick + 1 ? this.tickBytes : 0;
  }

  private countUndrained(size: number): void {
    const now = this.env.clock.now();
    if (now !== this.tick) {
      this.previousTickBytes = now === this.tick + 1 ? this.tickBytes : 0;
      this.tickBytes = 0;
      this.tick = now;
    }
    this.tickBytes += size;
  }

  private leaseBytes(): number {
    const share = this.env.budget.topicShareBytes / Math.max(1, this.env.subscriptions());
    return Math.min(this.cap / 2, share);
  }

  private reserve(bytes: number): void {
    this.reserved += bytes;
    this.env.budget.reserveForTopics(bytes);
  }

  private endLease(): void {
    this.env.budget.reserveForTopics(-this.reserved);
    this.reserved = 0;
    this.leaseLeft = 0;
  }
}
