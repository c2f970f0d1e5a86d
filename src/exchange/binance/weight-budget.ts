import { systemClock, type Clock, type Timer } from '../../shared/clock.js';
import type { SharedRestBlock } from './shared-rest-block.js';

/**
 * The REST request-weight budget of one Binance host for this IP (sources.md: spot 6000/min,
 * USD-M 2400/min), shared by every series that fills gaps. A token bucket refilled continuously
 * at `weightPerWindow` per window approximates Binance's per-minute counter; two signals from the
 * server correct it: `X-MBX-USED-WEIGHT-1M` (what the IP really used, other processes on the same
 * IP included — e.g. a freqtrade next to us) and Retry-After on 429/418, which stops everyone.
 *
 * We plan with `share` of the published budget (default 80%) so a burst of requests never takes
 * the IP to its limit, where Binance answers 429 and, if ignored, bans the IP (418). The process
 * splits its 80% (REST_BUDGET_SPLIT): the main thread's market list plans with 20%, the ingest
 * workers with 60% / N each, while `ipShare` (80%) still caps what the IP as a whole may have used
 * when the server reports its count.
 */
/**
 * How this process splits Binance's published per-IP weight budget (docs/architecture.md "REST
 * budget"): never more than `ipShare` of it in all; the main thread's market list (tickers every
 * TRADE_CANVAS_BINANCE_TICKER_TTL_S, exchangeInfo hourly: spot ~8% of 6000/min at the default 10 s,
 * futures ~10% of 2400/min) plans with `mainThread`; the ingest workers' gap fills share `ingest`.
 */
export const REST_BUDGET_SPLIT = { ipShare: 0.8, mainThread: 0.2, ingest: 0.6 } as const;

export interface WeightBudgetOptions {
  /** Published weight limit per window (MARKET_LIMITS weightPerMinute). */
  readonly weightPerWindow: number;
  /** Fraction of it we allow ourselves (default 0.8). */
  readonly share?: number;
  /**
   * Fraction of it the whole IP may use before we hold back, checked against
   * X-MBX-USED-WEIGHT-1M (default `share`; larger when this budget is one worker's split of it).
   */
  readonly ipShare?: number;
  /** Window of the limit (default 60 s; tests shorten it). */
  readonly windowMs?: number;
  readonly clock?: Clock;
  /** The process-wide Retry-After of this host (every thread's budget of it shares one). */
  readonly shared?: SharedRestBlock;
}

export interface WeightBudgetStats {
  tokens: number;
  capacity: number;
  waiting: number;
  blockedUntil: number;
  /** Last X-MBX-USED-WEIGHT-1M seen. */
  serverUsed: number;
  granted: number;
  /** acquire() calls that had to wait. */
  waits: number;
}

interface Waiter {
  readonly weight: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export class WeightBudget {
  private readonly capacity: number;
  private readonly ipCapacity: number;
  private readonly refillPerMs: number;
  private readonly clock: Clock;
  private readonly shared: SharedRestBlock | undefined;
  private tokens: number;
  private refilledAt: number;
  private blockedUntil = 0;
  private serverUsed = 0;
  private granted = 0;
  private waits = 0;
  private readonly queue: Waiter[] = [];
  private timer: Timer | undefined;

  constructor(options: WeightBudgetOptions) {
    this.clock = options.clock ?? systemClock;
    this.shared = options.shared;
    this.capacity = Math.max(1, Math.floor(options.weightPerWindow * (options.share ?? 0.8)));
    this.ipCapacity = Math.max(this.capacity, Math.floor(options.weightPerWindow * (options.ipShare ?? options.share ?? 0.8)));
    this.refillPerMs = this.capacity / (options.windowMs ?? 60_000);
    this.tokens = this.capacity;
    this.refilledAt = this.clock.now();
  }

  /** Resolves when `weight` may be spent; waiters are served in order. Rejects if `signal` aborts. */
  acquire(weight: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queue.length === 0 && this.take(weight)) return Promise.resolve();
    this.waits++;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { weight, resolve, reject };
      this.queue.push(waiter);
      signal?.addEventListener('abort', () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal.reason);
        this.schedule();
      });
      this.schedule();
    });
  }

  /**
   * `X-MBX-USED-WEIGHT-1M`: the IP already used this much of the window. What is left for us is
   * at most the IP's planned capacity minus that, so the headroom stays free even when others
   * (other workers, other processes) use the IP too.
   */
  noteUsed(used: number): void {
    if (!Number.isFinite(used) || used < 0) return;
    this.serverUsed = used;
    this.refill();
    this.tokens = Math.min(this.tokens, this.ipCapacity - used);
  }

  /** 429/418 Retry-After: nobody sends before `ms` from now. */
  blockFor(ms: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + ms);
    this.shared?.blockUntil(Date.now() + ms);
    this.schedule();
  }

  /** Milliseconds until a Retry-After block ends (0 when not blocked), another thread's included. */
  blockedForMs(): number {
    this.adoptSharedBlock();
    return Math.max(0, this.blockedUntil - this.clock.now());
  }

  /** A Retry-After another thread was told becomes ours too, in our clock's terms. */
  private adoptSharedBlock(): void {
    const remaining = this.shared?.remainingMs() ?? 0;
    if (remaining > 0) this.blockedUntil = Math.max(this.blockedUntil, this.clock.now() + remaining);
  }

  /**
   * Weight that could be spent right now without waiting: none while a Retry-After holds or others
   * already wait in line (they go first), else the tokens in the bucket.
   */
  available(): number {
    if (this.blockedForMs() > 0 || this.queue.length > 0) return 0;
    this.refill();
    return Math.max(0, Math.floor(this.tokens));
  }

  stats(): WeightBudgetStats {
    this.refill();
    return {
      tokens: this.tokens,
      capacity: this.capacity,
      waiting: this.queue.length,
      blockedUntil: this.blockedUntil,
      serverUsed: this.serverUsed,
      granted: this.granted,
      waits: this.waits,
    };
  }

  private take(weight: number): boolean {
    this.adoptSharedBlock();
    if (this.clock.now() < this.blockedUntil) return false;
    this.refill();
    // A request heavier than the whole bucket may go once the bucket is full, never starve.
    if (this.tokens < Math.min(weight, this.capacity)) return false;
    this.tokens -= weight;
    this.granted += weight;
    return true;
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.refilledAt) * this.refillPerMs);
    this.refilledAt = now;
  }

  /** Serves waiters that fit now and sets one timer for when the next one will. */
  private schedule(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && this.take(this.queue[0]!.weight)) this.queue.shift()!.resolve();
    if (this.queue.length === 0) return;
    const now = this.clock.now();
    const need = Math.min(this.queue[0]!.weight, this.capacity) - this.tokens;
    const wait = Math.max(this.blockedUntil - now, need > 0 ? Math.ceil(need / this.refillPerMs) : 0, 1);
    this.timer = this.clock.setTimeout(() => this.schedule(), wait);
  }
}
