import type { LiveMarket } from '../../domain/series-id.js';
import { GatewayError } from '../../shared/errors.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { HttpStream } from '../server/transport.js';
import type { MarketList } from './market-list.js';
import { TopMarketsFeed } from './top-markets-feed.js';
import { TopMarketsSubscriber, type SubscriberOptions } from './top-markets-subscriber.js';

export interface TopMarketsStreamStats {
  /** Open SSE clients. */
  readonly streams: number;
  /** Pollers running (one per market and quote asset with clients). */
  readonly feeds: number;
  /** Streams refused at the bound. */
  readonly refused: number;
  /** Polls done by every poller so far (each one answered and told its subscribers). */
  readonly polls: number;
}

/**
 * Every market-list stream: the feeds by (market, quote asset) and their subscribers, bounded at
 * TRADE_CANVAS_MARKET_LIST_MAX_STREAMS (beyond it a new stream gets 503 `overloaded`, counted and
 * logged), all ended on shutdown.
 */
export class TopMarketsStreams {
  private readonly feeds = new Map<string, TopMarketsFeed>();
  private readonly subscribers = new Set<TopMarketsSubscriber>();
  private refused = 0;
  private polls = 0;
  private closed = false;

  constructor(
    private readonly list: MarketList,
    private readonly pollIntervalMs: number,
    private readonly maxStreams: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Throws `overloaded` at the bound, `shutting_down` once closed: call before sending headers. */
  admit(): void {
    if (this.closed) throw new GatewayError('shutting_down', 'the gateway is stopping');
    if (this.subscribers.size < this.maxStreams) return;
    this.refused++;
    // Every refusal is counted (/metrics); the log says it once per 100 so a storm stays readable.
    if (this.refused % 100 === 1) this.log.warn('market-list streams at their bound; refusing new ones', { max: this.maxStreams, refused: this.refused });
    throw new GatewayError('overloaded', `too many market-list streams (${this.maxStreams}); retry later`);
  }

  open(out: HttpStream, market: LiveMarket, quote: string, options: SubscriberOptions): void {
    if (this.closed) return out.end();
    const key = `${market}:${quote}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = new TopMarketsFeed(
        market,
        quote,
        this.list,
        this.pollIntervalMs,
        this.clock,
        (idle) => {
          if (this.feeds.get(key) === idle) this.feeds.delete(key);
        },
        () => this.polls++,
      );
      this.feeds.set(key, feed);
    }
    const sub = new TopMarketsSubscriber(out, feed, options, this.clock, (s) => this.subscribers.delete(s));
    this.subscribers.add(sub);
    sub.start();
  }

  stats(): TopMarketsStreamStats {
    return { streams: this.subscribers.size, feeds: this.feeds.size, refused: this.refused, polls: this.polls };
  }

  /** Ends every stream and stops every poller (graceful stop). */
  close(): void {
    this.closed = true;
    for (const sub of [...this.subscribers]) sub.end();
    for (const feed of this.feeds.values()) feed.stop();
    this.feeds.clear();
  }
}
