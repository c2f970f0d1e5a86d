import { describeError } from '../../shared/errors.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';

export interface Cached<T> {
  readonly value: T;
  /** Served from the cache (fresh enough, or stale because the upstream failed). */
  readonly cached: boolean;
}

/**
 * One upstream value (an exchange's ticker list, its symbol list) shared by every caller: fetched
 * at most once per `ttlMs`, concurrent callers join the fetch in flight, and when the upstream
 * fails a value fetched before is served (stale) rather than an error — only a cache that never
 * had a value lets the error through (trade_canvas's market list does the same).
 */
export class CachedUpstream<T> {
  private value: T | undefined;
  private fetchedAt = -Infinity;
  private inFlight: Promise<T> | null = null;
  private failing = false;
  /** Increases with every successful fetch: derived data is recomputed when it moves. */
  version = 0;

  constructor(
    private readonly fetch: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** The value, fetched when older than the TTL or when `force` (which never takes the cache). */
  async get(force = false): Promise<Cached<T>> {
    if (!force && this.value !== undefined && this.clock.now() - this.fetchedAt < this.ttlMs) return { value: this.value, cached: true };
    try {
      return { value: await this.refresh(), cached: false };
    } catch (err) {
      if (this.value === undefined) throw err;
      return { value: this.value, cached: true };
    }
  }

  /** The value fetched last, if any, without asking the upstream. */
  peek(): T | undefined {
    return this.value;
  }

  private refresh(): Promise<T> {
    this.inFlight ??= this.fetch().then(
      (value) => {
        this.inFlight = null;
        this.value = value;
        this.fetchedAt = this.clock.now();
        this.version++;
        if (this.failing) this.log.info(`${this.what}: upstream answers again`);
        this.failing = false;
        return value;
      },
      (err: unknown) => {
        this.inFlight = null;
        // One line per failure streak, not one per caller.
        if (!this.failing)
          this.log.warn(`${this.what}: upstream failed${this.value === undefined ? '' : '; serving the last answer'}`, { error: describeError(err) });
        this.failing = true;
        throw err;
      },
    );
    return this.inFlight;
  }
}
