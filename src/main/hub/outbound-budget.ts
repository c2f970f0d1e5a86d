/** Closed sockets' holds ending in the same second share one entry (bounds the list by the hold time). */
const HOLD_BUCKET_MS = 1000;

interface ClosedHold {
  /** When every socket counted here must have been freed (ms, on the budget's clock). */
  until: number;
  bytes: number;
}

/**
 * The process's bound on bytes waiting in WebSocket send buffers, across all sockets. Each socket
 * has its own bound (MARKET_WS_MAX_BUFFERED_BYTES), but many slow consumers at once would still
 * grow memory without limit (measured before this existed: 20 stalled clients, +156 MiB). Above
 * `formingSkipBytes` every backlogged socket skips forming updates; a backlogged socket that would
 * need to queue closed data past `maxBytes` is closed as a slow consumer (1008) — the client
 * resumes with `since`, nothing is lost, and sockets that keep up are never affected.
 *
 * Sockets report their own share (Outbox): the total is an upper estimate between flushes, since
 * a socket's buffer drains without telling us until its next flush or drain event.
 *
 * A socket we close is not gone at once: the socket library sends what it buffered, then the close
 * frame, and frees the buffer only when that is done or its end() timeout passed (a stalled client
 * never reads it). Until then those bytes are memory the process holds, so a closed socket's share
 * stays counted (`holdClosed`) for as long as the transport says it may be held; released at the
 * close, 20 stalled clients cut one by one held up to 20 × their own bound (measured under a 32 MiB
 * global bound: ~40 MiB more RSS than with the hold). Holds are kept in 1-second buckets, oldest
 * first, and expired ones go before a new one is added: a list bounded by the hold time.
 *
 * A quarter of the bound is set apart for topic leases (topic-group.ts): each lease may leave at
 * most `topicShareBytes / subscriptions` in a member's buffer, so all of them together stay within
 * that quarter; sockets on their own outbox share the other three quarters (the rules above apply
 * to those). Reserved lease bytes are counted in `total`, never in the outbox rules.
 */
export class OutboundBudget {
  /** Bytes buffered by open sockets, as last reported. */
  private bytes = 0;
  /** Bytes closed sockets may still hold (holds not yet expired). */
  private closedBytes = 0;
  private readonly closedHolds: ClosedHold[] = [];
  private reservedForTopics = 0;
  private maxBytes = Number.POSITIVE_INFINITY;
  private formingSkipBytes = Number.POSITIVE_INFINITY;
  private topicShare = Number.POSITIVE_INFINITY;

  /** Sets the bound (MARKET_WS_MAX_TOTAL_BUFFERED_BYTES); forming is skipped from half of the outbox part. */
  setBound(maxBytes: number): void {
    this.topicShare = maxBytes / 4;
    this.maxBytes = maxBytes - this.topicShare;
    this.formingSkipBytes = this.maxBytes / 2;
  }

  /** `now` is the clock of closed sockets' holds (ms); tests drive it. */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Bytes buffered across every socket, as last reported, closed ones still held included, plus what topic leases reserve. */
  get total(): number {
    return this.bytes + this.heldByClosedSockets + this.reservedForTopics;
  }

  /** Of the total, bytes of closed sockets that the socket library may not have freed yet. */
  get heldByClosedSockets(): number {
    if (this.closedBytes > 0) this.expireHolds();
    return this.closedBytes;
  }

  /** Bytes all topic leases together may leave buffered (split between subscriptions). */
  get topicShareBytes(): number {
    return this.topicShare;
  }

  adjust(delta: number): void {
    this.bytes += delta;
  }

  /**
   * A socket closed with `bytes` still counted: they move from the open sockets' share to the
   * closed ones', and stop counting `heldForMs` from now, when the library must have freed them.
   */
  holdClosed(bytes: number, heldForMs: number): void {
    // Expired holds go first, so the list never outgrows the hold time, read or not.
    if (this.closedHolds.length > 0) this.expireHolds();
    this.bytes -= bytes;
    this.closedBytes += bytes;
    // Rounded up to the bucket: a hold may end a little late, never early.
    const until = Math.ceil((this.now() + heldForMs) / HOLD_BUCKET_MS) * HOLD_BUCKET_MS;
    const last = this.closedHolds[this.closedHolds.length - 1];
    if (last && until <= last.until) last.bytes += bytes;
    else this.closedHolds.push({ until, bytes });
  }

  private expireHolds(): void {
    const now = this.now();
    const holds = this.closedHolds;
    let expired = 0;
    while (expired < holds.length && holds[expired]!.until <= now) this.closedBytes -= holds[expired++]!.bytes;
    if (expired > 0) holds.splice(0, expired);
  }

  /** A topic lease reserves (or releases, negative) bytes of the topic share. */
  reserveForTopics(delta: number): void {
    this.reservedForTopics += delta;
  }

  /** Forming updates are skipped on backlogged sockets while the total is this high. */
  get skipForming(): boolean {
    // The clock is read only when the answer could change: the common case costs one compare.
    if (this.bytes + this.closedBytes <= this.formingSkipBytes) return false;
    return this.bytes + this.heldByClosedSockets > this.formingSkipBytes;
  }

  /** Closed data of `size` bytes would take the total past the bound. */
  wouldOverflow(size: number): boolean {
    if (this.bytes + this.closedBytes + size <= this.maxBytes) return false;
    return this.bytes + this.heldByClosedSockets + size > this.maxBytes;
  }
}

/** A budget that never binds (an outbox on its own). */
export const UNBOUNDED_BUDGET = new OutboundBudget();
