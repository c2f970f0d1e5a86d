import { CANDLE_STRIDE, candleCount, type Candle } from '../../domain/candle.js';
import { firstIndexAfter } from '../../domain/candle-batch.js';
import { holeBefore } from '../../domain/gap-policy.js';
import { candleFormingFrame, type OutboundFrame } from '../../protocol/server-messages.js';
import { closedDelivery, type ClosedDelivery } from './closed-frames.js';
import type { Outbox } from './outbox.js';
import type { DeliveryMemo, Subscription } from './subscription.js';
import { TopicGroup, type TopicEnv } from './topic-group.js';

/**
 * Fan-out point of one series: its subscriptions, the newest published closed time, and the
 * current forming candle (sent after catch-up and inside snapshots).
 *
 * A subscription is either direct (its own outbox: catch-up, gap fills, a socket that is behind)
 * or a member of a topic group (topic-group.ts), whose frames go out with one publish each.
 */
export class SeriesChannel {
  readonly subscriptions = new Set<Subscription>();
  /** Subscriptions served through their own outbox. */
  private readonly direct = new Set<Subscription>();
  /** Topic groups by `encoding|supports_batch`. */
  private readonly groups = new Map<string, TopicGroup>();
  private lastClosed: number | null = null;
  private formingCandle: Candle | null = null;

  constructor(
    readonly seriesId: string,
    private readonly topics: TopicSource,
    /** Holes are filled before they are announced (ENABLE_MARKET_GAP_BACKFILL). */
    private readonly fillsHoles: boolean,
  ) {}

  get forming(): Candle | null {
    return this.formingCandle;
  }

  get isIdle(): boolean {
    return this.subscriptions.size === 0 && this.formingCandle === null;
  }

  add(sub: Subscription): void {
    this.subscriptions.add(sub);
    this.direct.add(sub);
  }

  /** Removes `sub` (unsubscribed, replaced or disconnected); false if it was not here. */
  delete(sub: Subscription): boolean {
    if (sub.topic) this.leave(sub);
    this.direct.delete(sub);
    return this.subscriptions.delete(sub);
  }

  /**
   * Moves a live, caught-up subscription onto its topic group when the group accepts it
   * (topic-group.ts); called right after its outbox flushed, with the socket's buffered bytes.
   */
  tryJoin(sub: Subscription, outbox: Outbox, buffered: number, cap: number): void {
    if (!this.topics.env.publisher || sub.topic || !this.subscriptions.has(sub)) return;
    const key = outbox.encoding === 'json' ? (sub.supportsBatch ? 'json|batch' : 'json|stream') : sub.supportsBatch ? 'msgpack|batch' : 'msgpack|stream';
    let group = this.groups.get(key);
    if (!group) {
      group = new TopicGroup(this.topics.nextTopic(), outbox.encoding, sub.supportsBatch, cap, this.topics.env);
      this.groups.set(key, group);
    }
    if (!group.canJoin(sub, buffered)) return;
    outbox.subscribeTopic(group.topic);
    group.add(sub);
    sub.topic = group;
    this.direct.delete(sub);
  }

  publishClosed(data: Float64Array): void {
    const n = candleCount(data);
    if (n === 0) return;
    const last = data[(n - 1) * CANDLE_STRIDE]!;
    if (this.lastClosed === null || last > this.lastClosed) this.lastClosed = last;
    if (this.formingCandle && this.formingCandle.candle_time <= this.lastClosed) this.formingCandle = null;
    const memo: DeliveryMemo = new Map();
    for (const group of this.groups.values()) {
      if (group.members.size === 0) continue;
      const tf = (group.members.values().next().value as Subscription).series.tfSeconds;
      const from = group.lastSent === null ? 0 : firstIndexAfter(data, group.lastSent);
      if (from >= n) continue;
      // A hole to fill first is async and per subscription: the members go back to their outboxes.
      if (this.fillsHoles && holeBefore(group.lastSent, data[from * CANDLE_STRIDE]!, tf)) {
        this.dissolve(group);
        continue;
      }
      const delivery = sharedDelivery(memo, this.seriesId, tf, group.lastSent, data, from, n, group.supportsBatch);
      if (this.publishTo(group, delivery.frames)) group.lastSent = delivery.lastSent;
    }
    for (const sub of this.direct) sub.onClosed(data, memo);
  }

  /** Returns false when the candle is stale (not newer than the last closed one). */
  publishForming(candle: Candle): boolean {
    if (this.lastClosed !== null && candle.candle_time <= this.lastClosed) return false;
    this.formingCandle = candle;
    if (this.subscriptions.size === 0) return true;
    const frame = candleFormingFrame(this.seriesId, candle);
    for (const group of this.groups.values()) {
      if (group.members.size === 0) continue;
      if (group.lastSent !== null && candle.candle_time <= group.lastSent) continue;
      this.publishTo(group, [frame]);
    }
    for (const sub of this.direct) sub.onForming(frame, candle.candle_time);
    return true;
  }

  /**
   * Publishes one delivery to `group`. When its lease has run out, the members are measured and
   * those behind leave first (topic-group.ts); if it still does not fit, every member leaves.
   * False: the members (if any) are direct now and get the frames from their outboxes.
   */
  private publishTo(group: TopicGroup, frames: readonly OutboundFrame[]): boolean {
    if (group.publish(frames)) return true;
    const size = group.sizeOf(frames);
    let fullest = 0;
    for (const sub of [...group.members]) {
      const worst = group.worstAfterWrite(sub.outbox.refreshBuffered(), size);
      if (worst === null) this.leave(sub);
      else fullest = Math.max(fullest, worst);
    }
    group.renew(fullest);
    if (group.members.size > 0 && group.publish(frames)) return true;
    this.dissolve(group);
    return false;
  }

  /** `sub` leaves its topic: its outbox takes over from the group's last_sent_time. */
  private leave(sub: Subscription): void {
    const group = sub.topic!;
    sub.topic = null;
    sub.lastSent = group.lastSent;
    group.remove(sub);
    sub.outbox.unsubscribeTopic(group.topic);
    if (this.subscriptions.has(sub)) this.direct.add(sub);
  }

  private dissolve(group: TopicGroup): void {
    for (const sub of [...group.members]) this.leave(sub);
  }
}

/** The hub's side of topic groups: the shared environment and fresh topic names. */
export interface TopicSource {
  readonly env: TopicEnv;
  nextTopic(): string;
}

/** Frames for subscribers at `lastSent` (ClosedDelivery), shared through the per-publish memo. */
function sharedDelivery(
  memo: DeliveryMemo,
  seriesId: string,
  tf: number,
  lastSent: number | null,
  data: Float64Array,
  from: number,
  to: number,
  supportsBatch: boolean,
): ClosedDelivery {
  const key = `${lastSent}|${supportsBatch}|${from}`;
  let delivery = memo.get(key);
  if (!delivery) {
    delivery = closedDelivery(seriesId, tf, lastSent, data, from, to, supportsBatch, 'live');
    memo.set(key, delivery);
  }
  return delivery;
}
