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

/** The most a socket may have buffered to join a topic whose members may hold `cap` (cheap pre-check: Outbox). */
export function topicJoinBytes(cap: number): number {
  return cap / 4;
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
 * maxBackpressure, drops frames silently), so membership is a lease counted in bytes. A socket
 * joins with at most `cap / 4` buffered; a lease lasts at most `cap / 2` published bytes, and
 * never more than what the fullest member still has room for below `cap` (its buffer plus the
 * frames published but possibly not yet written, turn-clock.ts), so a member never has more than
 * `cap` buffered: never past the point where it would skip forming updates or risk a
 * slow-consumer close, far below uWS's dropping point. When a lease runs out, each member's
 * buffer is measured again: those not behind (at most `cap / 2`) and with room below `cap` for
 * the next frame stay for the next lease, the others leave — back to their own outbox with `last_sent_time` = the group's, where the
 * per-socket rules apply exactly as before — and rejoin once they have caught up. The bytes a
 * lease may leave buffered are reserved in the process-wide budget while it runs. Past the
 * budget's forming-skip point a group skips forming updates; closed data that would pass the
 * budget's bound sends every member back to its outbox (where a backlogged socket is closed).
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

  /** The most a socket may have buffered to join (topicJoinBytes): below `stayBytes`, so a socket near the line does not go back and forth. */
  private get joinBytes(): number {
    return topicJoinBytes(this.cap);
  }

  /**
   * Whether `sub` (live, caught up, its outbox just flushed with `buffered` bytes in the socket)
   * may join now. Joining is synchronous: frames published after this call reach it by the topic,
   * frames before it went through its outbox.
   */
  canJoin(sub: Subscription, buffered: number): boolean {
    if (buffered + this.undrainedBytes() > this.joinBytes) return false;
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
    if (forming && budget.skipForming) {
      // Past the process-wide forming-skip point backlogged sockets skip forming updates; which
      // members have a backlog is unknown here, so the whole group skips this one (forming
      // updates are superseded by the next; closed data still flows). Sending every member back
      // to its outbox instead would multiply the work exactly when the process is short.
      this.env.counters.formingSkipped += n;
      return true;
    }
    if (size > this.leaseLeft) return false;
    // A backlogged member would be closed rather than queue this: the per-socket rules decide
    // (the caller sends every member back to its outbox).
    if (!forming && budget.wouldOverflow(size)) return false;
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

  /**
   * What a member whose socket reports `buffered` bytes may hold once uWS has written what was
   * published to it (frames of this tick and the previous one may not be counted yet), or null
   * when it must leave: its socket is behind (over `cap / 2`: joining needs `cap / 4`, so a
   * socket near the line does not go back and forth), or there is no room below `cap` for the
   * delivery of `size` bytes (or a minimal lease).
   */
  worstAfterWrite(buffered: number, size: number): number | null {
    if (buffered > this.cap / 2) return null;
    const worst = buffered + this.undrainedBytes();
    return worst + Math.max(size, MIN_LEASE_BYTES) <= this.cap ? worst : null;
  }

  /** Bytes of a delivery in this group's encoding. */
  sizeOf(frames: readonly OutboundFrame[]): number {
    let size = 0;
    for (const frame of frames) size += frame.bytes(this.encoding).length;
    return size;
  }

  /**
   * Starts the next lease for the members that stayed, the fullest of which may hold `worst`
   * bytes: the lease is what is left of `cap` above it (at most the usual lease), so no member
   * ever holds more than `cap`. Their measured buffers are in the budget through their outboxes
   * (Outbox.refreshBuffered); what may still be unwritten is reserved.
   */
  renew(worst: number): void {
    this.endLease();
    if (this.members.size === 0) return;
    this.leaseLeft = Math.min(this.leaseBytes(), this.cap - worst);
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
