import type { Candle } from '../../domain/candle.js';
import type { SeriesId } from '../../domain/series-id.js';
import type { CommittedMessage } from '../../writer/contract.js';
import type { CandleReader } from './candle-reader.js';
import { OutboundBudget } from './outbound-budget.js';
import { FlushScheduler, type OutboxCounters } from './outbox.js';
import { SeriesChannel } from './series-channel.js';
import type { HoleBackfill } from '../holes/backfill-service.js';
import { Subscription, type SubscribeRequest, type SubscriptionHost } from './subscription.js';
import type { Outbox } from './outbox.js';
import type { TopicEnv, TopicPublisher } from './topic-group.js';
import type { TopicSource } from './series-channel.js';
import { TurnClock } from './turn-clock.js';

/** Channels kept only for a forming candle (no subscriber): bounded, oldest dropped first. */
const MAX_IDLE_CHANNELS = 10_000;

export interface HubStats {
  readonly series: number;
  readonly subscriptions: number;
  readonly counters: Readonly<OutboxCounters>;
  /** Bytes waiting in WebSocket send buffers, all sockets (OutboundBudget's estimate). */
  readonly outboundBytes: number;
  /** Of those, bytes of closed sockets the transport may not have freed yet. */
  readonly closedSocketBytes: number;
}

/**
 * The hub (architecture.md): series channels, publishing of committed closed candles and of
 * forming candles, and the subscriptions that WebSocket sessions open on it.
 */
export class MarketHub {
  private readonly channels = new Map<string, SeriesChannel>();
  readonly flusher = new FlushScheduler();
  readonly counters: OutboxCounters = {
    framesSent: 0,
    bytesSent: 0,
    formingSkipped: 0,
    slowConsumerCloses: 0,
    globalBufferCloses: 0,
    topicJoins: 0,
    topicLeaves: 0,
    topicPublishes: 0,
    topicRenewals: 0,
  };
  /** The process-wide bound on buffered outbound bytes, shared by every session's outbox. */
  readonly outbound = new OutboundBudget();
  private subscriptionCount = 0;
  private topicCount = 0;
  /** What every channel's topic groups share (topic-group.ts); the publisher comes with the transport. */
  private readonly topicEnv: { publisher: TopicPublisher | null } & TopicEnv = {
    publisher: null,
    budget: this.outbound,
    counters: this.counters,
    clock: new TurnClock(),
    subscriptions: () => this.subscriptionCount,
  };
  private readonly topics: TopicSource = { env: this.topicEnv, nextTopic: () => `t${++this.topicCount}` };

  constructor(
    private readonly reader: CandleReader,
    /** ENABLE_MARKET_GAP_BACKFILL: holes are filled before they are announced; null: announced at once. */
    private readonly backfill: HoleBackfill | null,
    private readonly catchupLimit: number,
  ) {}

  /**
   * Native fan-out (the transport's topics): from now on caught-up subscribers join topic groups
   * and live frames go out with one publish each (topic-group.ts). Without it every subscription
   * is served through its own outbox.
   */
  attachTopics(publisher: TopicPublisher): void {
    this.topicEnv.publisher = publisher;
  }

  /** Moves `sub` onto its topic group if the group accepts it (ClientSession, after a flush). */
  tryJoinTopic(sub: Subscription, outbox: Outbox, buffered: number): void {
    this.channels.get(sub.series.raw)?.tryJoin(sub, outbox, buffered, outbox.topicCap);
  }

  /** Publishes what a commit made durable (segments flagged publish). */
  onCommitted(msg: CommittedMessage): void {
    for (const segment of msg.segments) {
      const channel = segment.publish ? this.channels.get(segment.seriesId) : undefined;
      if (channel) {
        channel.publishClosed(segment.data);
        this.forgetIfIdle(channel);
      }
    }
  }

  /** Broadcasts a forming candle; never stored. Returns false when it was stale. */
  publishForming(seriesId: string, candle: Candle): boolean {
    const channel = this.channel(seriesId);
    const fresh = channel.publishForming(candle);
    this.forgetIfIdle(channel);
    return fresh;
  }

  subscribe(host: SubscriptionHost, series: SeriesId, supportsBatch: boolean, request: SubscribeRequest): Subscription {
    const channel = this.channel(series.raw);
    const sub = new Subscription(
      series,
      supportsBatch,
      host,
      { reader: this.reader, backfill: this.backfill, catchupLimit: this.catchupLimit },
      () => channel.forming,
    );
    channel.add(sub);
    this.subscriptionCount++;
    void sub.start(request);
    return sub;
  }

  unsubscribe(sub: Subscription): void {
    sub.cancel();
    const channel = this.channels.get(sub.series.raw);
    if (channel?.delete(sub)) {
      this.subscriptionCount--;
      this.forgetIfIdle(channel);
    }
  }

  stats(): HubStats {
    return {
      series: this.channels.size,
      subscriptions: this.subscriptionCount,
      counters: this.counters,
      outboundBytes: this.outbound.total,
      closedSocketBytes: this.outbound.heldByClosedSockets,
    };
  }

  private channel(seriesId: string): SeriesChannel {
    let channel = this.channels.get(seriesId);
    if (!channel) {
      channel = new SeriesChannel(seriesId, this.topics, this.backfill !== null);
      this.channels.set(seriesId, channel);
      if (this.channels.size > MAX_IDLE_CHANNELS) this.evictIdle();
    }
    return channel;
  }

  private forgetIfIdle(channel: SeriesChannel): void {
    if (channel.isIdle) this.channels.delete(channel.seriesId);
  }

  private evictIdle(): void {
    for (const [id, channel] of this.channels) {
      if (this.channels.size <= MAX_IDLE_CHANNELS) return;
      if (channel.subscriptions.size === 0) this.channels.delete(id);
    }
  }
}
