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
 * A quarter of the bound is set apart for topic leases (topic-group.ts): each lease may leave at
 * most `topicShareBytes / subscriptions` in a member's buffer, so all of them together stay within
 * that quarter; sockets on their own outbox share the other three quarters (the rules above apply
 * to those). Reserved lease bytes are counted in `total`, never in the outbox rules.
 */
export class OutboundBudget {
  private bytes = 0;
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

  /** Bytes buffered across every socket, as last reported, plus what topic leases reserve. */
  get total(): number {
    return this.bytes + this.reservedForTopics;
  }

  /** Bytes all topic leases together may leave buffered (split between subscriptions). */
  get topicShareBytes(): number {
    return this.topicShare;
  }

  adjust(delta: number): void {
    this.bytes += delta;
  }

  /** A topic lease reserves (or releases, negative) bytes of the topic share. */
  reserveForTopics(delta: number): void {
    this.reservedForTopics += delta;
  }

  /** Forming updates are skipped on backlogged sockets while the total is this high. */
  get skipForming(): boolean {
    return this.bytes > this.formingSkipBytes;
  }

  /** Closed data of `size` bytes would take the total past the bound. */
  wouldOverflow(size: number): boolean {
    return this.bytes + size > this.maxBytes;
  }
}

/** A budget that never binds (an outbox on its own). */
export const UNBOUNDED_BUDGET = new OutboundBudget();
