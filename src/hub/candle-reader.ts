import { candleCount } from '../domain/candle.js';
import type { MarketStore } from '../store/market-store.js';
import type { CachedRead } from './series-tail.js';
import { TailCache } from './tail-cache.js';

/**
 * Runs before a read of a series; a promise makes the read wait for it (history bootstrap of a
 * series not seen before), undefined lets it go on at once. Must resolve, bounded in time.
 */
export type BeforeRead = (seriesId: string) => Promise<void> | undefined;

const NOTHING_BEFORE_READ: BeforeRead = () => undefined;

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
  ) {}

  /** The latest `limit` candles, ascending. */
  async latest(seriesId: string, limit: number): Promise<CachedRead> {
    const wait = this.beforeRead(seriesId);
    if (wait) await wait;
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

  /** Up to `limit` candles with time > since, ascending. */
  async after(seriesId: string, since: number, limit: number): Promise<CachedRead> {
    const wait = this.beforeRead(seriesId);
    if (wait) await wait;
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
   * A memoized encoded body for the latest-`limit` query when the cache can answer it; `encode`
   * builds it from the read. Repeated reads of a quiet series cost a map lookup.
   */
  async latestBody(seriesId: string, limit: number, encode: (read: CachedRead) => Buffer): Promise<Buffer> {
    const wait = this.beforeRead(seriesId);
    if (wait) await wait;
    if (this.cache.enabled && limit <= this.cache.capacity) {
      const tail = await this.cache.get(seriesId);
      const hit = tail.latest(limit);
      if (hit) {
        this.cache.recordHit();
        return tail.body(`latest:${limit}`, () => encode(hit));
      }
    }
    return encode(await this.latest(seriesId, limit));
  }
}

function whole(read: { data: Float64Array; head: number | null }): CachedRead {
  return { data: read.data, from: 0, to: candleCount(read.data), head: read.head };
}
