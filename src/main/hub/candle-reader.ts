import { candleCount } from '../../domain/candle.js';
import type { CandleJsonFragment } from '../../protocol/candle-json.js';
import type { MarketStore } from '../store/market-store.js';
import type { PreparedCandleJson } from './prepared-json.js';
import type { CachedRead } from './series-tail.js';
import { TailCache } from './tail-cache.js';

/**
 * Runs before a read of a series; a promise makes the read wait for it (history bootstrap of a
 * series not seen before), undefined lets it go on at once. Must resolve, bounded in time.
 */
export type BeforeRead = (seriesId: string) => Promise<void> | undefined;

const NOTHING_BEFORE_READ: BeforeRead = () => undefined;

/** Encodes a read; `fragments` is text already made for some of its candles (prepared-json.ts). */
export type EncodeRead = (read: CachedRead, fragments?: readonly CandleJsonFragment[]) => Buffer;

/**
 * Every closed-candle read of the main thread (HTTP candles, WS catch-up, snapshots, gap
 * backfill) goes through here: the tail cache answers what it can; the writer answers the rest,
 * between its transactions.
 */
export class CandleReader {
  constructor(
    private readonly store: MarketStore,
    readonly cache: TailCache,
    private readonly beforeRead: BeforeRead = NOTHING_BEFORE_READ,
    /** Text tail coverage made for a waiting read while its candles were committed. */
    readonly prepared: PreparedCandleJson | null = null,
  ) {}

  /** The latest `limit` candles, ascending (with any text prepared for them: WS snapshot, catch-up). */
  async latest(seriesId: string, limit: number): Promise<CachedRead> {
    const wait = this.beforeRead(seriesId);
    if (wait) await wait;
    return this.withPrepared(seriesId, await this.latestNow(seriesId, limit));
  }

  /** Up to `limit` candles with time > since, ascending (with any text prepared for them). */
  async after(seriesId: string, since: number, limit: number): Promise<CachedRead> {
    const wait = this.beforeRead(seriesId);
    if (wait) await wait;
    return this.withPrepared(seriesId, await this.afterNow(seriesId, since, limit));
  }

  private withPrepared(seriesId: string, read: CachedRead): CachedRead {
    const fragments = this.prepared?.take(seriesId);
    return fragments ? { ...read, fragments } : read;
  }

  // The *Now reads run after the pre-read hook: it is consulted once per read, so a bootstrap
  // slower than its wait bound cannot make a read wait again and again.
  private async latestNow(seriesId: string, limit: number): Promise<CachedRead> {
    if (this.cache.enabled && limit <= this.cache.capacity) {
      const hit = (await this.cache.get(seriesId)).latest(limit);
      if (hit) {
        this.cache.recordHit();
        return hit;
      }
    }
    this.cache.recordMiss();
    return whole(await this.store.tail(seriesId, limit));
  }

  private async afterNow(seriesId: string, since: number, limit: number): Promise<CachedRead> {
    if (this.cache.enabled) {
      const hit = (await this.cache.get(seriesId)).after(since, limit);
      if (hit) {
        this.cache.recordHit();
        return hit;
      }
    }
    this.cache.recordMiss();
    return whole(await this.store.after(seriesId, since, limit));
  }

  /** Candles with from <= time <= to (gap backfill): the store is the authority for holes. */
  async between(seriesId: string, from: number, to: number, limit: number): Promise<CachedRead> {
    const wait = this.beforeRead(seriesId);
    if (wait) await wait;
    return whole(await this.store.between(seriesId, from, to, limit));
  }

  /**
   * The encoded body of a read (`since` null = latest `limit`), memoized in the series' tail until
   * the series changes: repeated reads of a quiet series, or many clients asking for the same
   * `since`, cost a map lookup. Synchronous when the tail is already cached (the hot path: no
   * promise hop); otherwise returns a promise.
   */
  body(seriesId: string, since: number | null, limit: number, encode: EncodeRead): Buffer | Promise<Buffer> {
    const wait = this.beforeRead(seriesId);
    if (wait) return wait.then(() => this.bodyNow(seriesId, since, limit, encode));
    return this.bodyNow(seriesId, since, limit, encode);
  }

  private bodyNow(seriesId: string, since: number | null, limit: number, encode: EncodeRead): Buffer | Promise<Buffer> {
    const fragments = this.prepared?.take(seriesId);
    const tail = this.cache.enabled ? this.cache.peek(seriesId) : undefined;
    if (tail) {
      const hit = since === null ? (limit <= this.cache.capacity ? tail.latest(limit) : null) : tail.after(since, limit);
      if (hit) {
        this.cache.recordHit();
        return tail.body(since === null ? `latest:${limit}` : `after:${since}:${limit}`, () => encode(hit, fragments));
      }
    }
    return (since === null ? this.latestNow(seriesId, limit) : this.afterNow(seriesId, since, limit)).then((read) => encode(read, fragments));
  }
}

function whole(read: { data: Float64Array; head: number | null }): CachedRead {
  return { data: read.data, from: 0, to: candleCount(read.data), head: read.head };
}
