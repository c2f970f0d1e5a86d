import type { LiveMarket } from '../../domain/series-id.js';
import { describeError } from '../../shared/errors.js';
import type { Clock, Timer } from '../../shared/clock.js';
import type { MarketList, Ranking } from './market-list.js';

/** What a subscriber of one `limit` sends: the page's JSON and its items' JSON (change detection). */
export interface FeedPage {
  readonly json: string;
  readonly itemsJson: string;
  readonly id: number;
}

export interface FeedError {
  readonly json: string;
  /** Increases with every failed poll. */
  readonly seq: number;
}

/** A subscriber as the feed sees it (top-markets-subscriber.ts). */
export interface FeedListener {
  readonly limit: number;
  /** The feed has a new ranking or a new error. */
  update(): void;
}

/**
 * One poller per (market, quote asset) with subscribers (the SSE clients of
 * `/api/market/top_markets/stream`): it asks the market list every `intervalMs`
 * (TRADE_CANVAS_BINANCE_TICKER_TTL_S) — one upstream call per interval, however many clients —
 * and tells every subscriber. Each page is built once per limit. It starts with its first
 * subscriber and stops when the last one leaves.
 */
export class TopMarketsFeed {
  private readonly listeners = new Set<FeedListener>();
  private ranking: Ranking | null = null;
  private rankedAt = 0;
  private readonly pages = new Map<number, FeedPage>();
  private error: FeedError | null = null;
  private timer: Timer | undefined;
  private stopped = false;

  constructor(
    readonly market: LiveMarket,
    readonly quote: string,
    private readonly list: MarketList,
    private readonly intervalMs: number,
    private readonly clock: Clock,
    /** Called once the last subscriber left (the registry forgets the feed). */
    private readonly onIdle: (feed: TopMarketsFeed) => void,
    /** Called after each poll, its subscribers told (counted for /metrics and tests). */
    private readonly onPolled: () => void = () => undefined,
  ) {}

  get size(): number {
    return this.listeners.size;
  }

  add(listener: FeedListener): void {
    this.listeners.add(listener);
    if (this.listeners.size === 1 && this.timer === undefined && !this.stopped) void this.poll();
    else if (this.ranking || this.error) listener.update();
  }

  remove(listener: FeedListener): void {
    if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
    this.stop();
    this.onIdle(this);
  }

  /** The page for `limit` of the latest ranking (null before the first one). */
  page(limit: number): FeedPage | null {
    if (!this.ranking) return null;
    let page = this.pages.get(limit);
    if (!page) {
      const body = this.list.page(this.market, this.quote, limit, this.ranking, this.rankedAt);
      page = { json: JSON.stringify(body), itemsJson: JSON.stringify(body.items), id: this.rankedAt };
      this.pages.set(limit, page);
    }
    return page;
  }

  /** The last failure while there is no ranking to serve, else null. */
  lastError(): FeedError | null {
    return this.error;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    this.timer = undefined;
    try {
      const ranking = await this.list.rank(this.market, this.quote);
      if (ranking.items !== this.ranking?.items || ranking.cached !== this.ranking.cached) {
        this.ranking = ranking;
        this.rankedAt = this.clock.now();
        this.pages.clear();
      }
      this.error = null;
    } catch (err) {
      // With a ranking to serve the list keeps its last answer (CachedUpstream): only a feed that
      // never had one reports the failure.
      if (!this.ranking) {
        const seq = (this.error?.seq ?? 0) + 1;
        this.error = { seq, json: JSON.stringify({ type: 'error', message: describeError(err), at_ms: this.clock.now() }) };
      }
    }
    if (this.stopped) return;
    for (const listener of [...this.listeners]) listener.update();
    this.onPolled();
    this.timer = this.clock.setTimeout(() => void this.poll(), this.intervalMs);
  }
}
