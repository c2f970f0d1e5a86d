import { Backoff, type BackoffOptions } from './backoff.js';
import type { CandlesResult } from './candles-http.js';
import type { OlderBars } from './older-bars.js';
import type { Clock } from './transport.js';

export type HttpFailure = Extract<CandlesResult, { ok: false }>;

/**
 * Everything that belongs to one series selection, replaced wholesale on a switch so that nothing
 * of it carries over to the next series: where loading stands, the gap refills queued, the HTTP
 * backoff reached and its pending retry, the scroll-back pager.
 */
export class SyncSession {
  /** History mode: the history page is in the book, so the subscribe may go out. */
  historyLoaded = false;
  /** A subscribe for this session went out on the current socket. */
  subscribed = false;
  /** Nothing more can be done for this selection (bad series_id, 4xx): no retries, no subscribe. */
  terminal = false;
  readonly older: OlderBars;
  private refillRunning = false;
  /** `since` of a gap announced while a refill was running; refilled right after it. */
  private pendingRefillSince: number | null | undefined = undefined;
  /** One backoff for the selection's history and refill requests: a new series starts at the shortest delay. */
  private readonly httpBackoff: Backoff;
  private retryTimer: unknown = null;

  constructor(
    readonly seriesId: string,
    /** The session's pager; it is handed the session to tell whether the page still shows it. */
    older: (session: SyncSession) => OlderBars,
    backoff: BackoffOptions,
    random: () => number,
    private readonly clock: Clock,
  ) {
    this.older = older(this);
    this.httpBackoff = new Backoff(backoff, random);
  }

  get refilling(): boolean {
    return this.refillRunning;
  }

  /** Starts a refill from `since`; while one runs, queues `since` instead (the earlier wins) and returns false. */
  startRefill(since: number | null): boolean {
    if (this.refillRunning) {
      const pending = this.pendingRefillSince;
      this.pendingRefillSince = pending === undefined ? since : minSince(pending, since);
      return false;
    }
    this.refillRunning = true;
    return true;
  }

  /** The running refill's request came back, whatever its outcome. */
  refillAnswered(): void {
    this.refillRunning = false;
  }

  /** The refill queued while the last one ran (undefined: none), now taken off the queue. */
  takeQueuedRefill(): number | null | undefined {
    const pending = this.pendingRefillSince;
    this.pendingRefillSince = undefined;
    return pending;
  }

  /** A request succeeded: the next failure waits the shortest delay again. */
  httpSucceeded(): void {
    this.httpBackoff.reset();
  }

  /**
   * A request failed. One that asking again cannot help (4xx) makes the session terminal and
   * returns null; otherwise `again` runs after the next backoff delay, which is returned.
   */
  httpFailed(failure: HttpFailure, again: () => void): number | null {
    if (!failure.retryable) {
      this.terminal = true;
      return null;
    }
    const delay = this.httpBackoff.next();
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      again();
    }, delay);
    return delay;
  }

  cancelRetry(): void {
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

/** The earlier of two refill starting points; null (no closed candle yet) is the earliest. */
function minSince(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  return Math.min(a, b);
}
