import { CANDLE_STRIDE, candleCount, type Candle } from '../../domain/candle.js';
import { firstIndexAfter, mergeAscending } from '../../domain/candle-batch.js';
import { holeBefore, type Hole } from '../../domain/gap-policy.js';
import type { SeriesId } from '../../domain/series-id.js';
import { describeError, GatewayError, toWire } from '../../shared/errors.js';
import type { CandleJsonFragment } from '../../protocol/candle-json.js';
import { candleFormingFrame, errorFrame, snapshotFrame, type OutboundFrame } from '../../protocol/server-messages.js';
import type { HoleBackfill } from '../holes/backfill-service.js';
import type { CandleReader } from './candle-reader.js';
import { closedDelivery, type ClosedDelivery, type DeliveryPhase } from './closed-frames.js';
import type { Outbox } from './outbox.js';
import type { TopicGroup } from './topic-group.js';

/** What a subscription needs from its connection. */
export interface SubscriptionHost {
  readonly outbox: Outbox;
  /** Resolves when the socket has room for catch-up data (or closed). */
  whenWritable(): Promise<void>;
}

export interface SubscriptionServices {
  readonly reader: CandleReader;
  /** Fills a hole before it is announced (ENABLE_MARKET_GAP_BACKFILL); null: announce at once. */
  readonly backfill: HoleBackfill | null;
  readonly catchupLimit: number;
}

/** Per-publish memo: subscribers in the same state share the same frames. */
export type DeliveryMemo = Map<string, ClosedDelivery>;

export interface SubscribeRequest {
  readonly since: number | null;
  readonly tailLimit: number | null;
}

/**
 * One client's subscription to one series: its `last_sent_time`, and the serialization that keeps
 * catch-up and live delivery in order (contract §3 fix): until catch-up has been sent, live closed
 * candles wait in a queue, then go through the same dedupe/gap rule, so nothing is lost,
 * duplicated or sent early. An async gap fill pauses the subscription the same way.
 */
export class Subscription {
  /** last_sent_time while direct; while on a topic the group's is authoritative (SeriesChannel). */
  lastSent: number | null = null;
  /** The topic group serving it, or null when it is served through its own outbox. */
  topic: TopicGroup | null = null;
  private busy = true;
  private active = true;
  private readonly queue: Float64Array[] = [];

  constructor(
    readonly series: SeriesId,
    readonly supportsBatch: boolean,
    private readonly host: SubscriptionHost,
    private readonly services: SubscriptionServices,
    private readonly currentForming: () => Candle | null,
  ) {}

  get isActive(): boolean {
    return this.active;
  }

  /** Live, caught up and direct: nothing of its own waits, so it may move onto its topic. */
  get mayJoinTopic(): boolean {
    return this.active && !this.busy && this.topic === null && this.queue.length === 0;
  }

  get outbox(): Outbox {
    return this.host.outbox;
  }

  /** Stops all further delivery (unsubscribe, re-subscribe, disconnect). */
  cancel(): void {
    this.active = false;
    this.queue.length = 0;
  }

  /** Catch-up (or snapshot), then live. Errors are reported to the client, never thrown. */
  async start(request: SubscribeRequest): Promise<void> {
    try {
      await this.host.whenWritable();
      if (!this.active) return;
      if (request.tailLimit !== null) await this.sendSnapshot(request.tailLimit);
      else await this.sendCatchup(request.since);
      await this.pump();
    } catch (err) {
      if (!this.active) return;
      this.cancel();
      const wire = toWire(err);
      this.push(errorFrame(wire.code, `catch-up failed: ${describeError(err)}`, this.series.raw));
    }
  }

  /** Live closed candles (ascending, unique) published for this series. */
  onClosed(data: Float64Array, memo: DeliveryMemo): void {
    if (!this.active) return;
    if (this.busy) {
      this.queue.push(data);
      return;
    }
    const from = this.firstNew(data, 0, candleCount(data));
    if (from >= candleCount(data)) return;
    if (this.holeToFill(data, from)) {
      this.busy = true;
      this.queue.push(data);
      void this.pump().catch((err) => this.fail(err));
      return;
    }
    const key = `${this.lastSent}|${this.supportsBatch}|${from}`;
    let delivery = memo.get(key);
    if (!delivery) {
      delivery = closedDelivery(this.series.raw, this.series.tfSeconds, this.lastSent, data, from, candleCount(data), this.supportsBatch, 'live');
      memo.set(key, delivery);
    }
    this.emit(delivery);
  }

  /** A forming update: shown unless it is not newer than what was sent (contract §3). */
  onForming(frame: OutboundFrame, time: number): void {
    if (!this.active || this.busy) return; // after catch-up the current forming candle is sent
    if (this.lastSent !== null && time <= this.lastSent) return;
    this.push(frame);
  }

  private async sendSnapshot(limit: number): Promise<void> {
    const read = await this.services.reader.latest(this.series.raw, limit);
    if (!this.active) return;
    const data = read.data.slice(read.from * CANDLE_STRIDE, read.to * CANDLE_STRIDE);
    const n = candleCount(data);
    this.lastSent = n > 0 ? data[(n - 1) * CANDLE_STRIDE]! : null;
    const forming = this.currentForming();
    const showForming = forming && (this.lastSent === null || forming.candle_time > this.lastSent) ? forming : null;
    this.push(snapshotFrame(this.series.raw, data, read.head, showForming, read.fragments));
  }

  private async sendCatchup(since: number | null): Promise<void> {
    const { reader, catchupLimit } = this.services;
    const read = since === null ? await reader.latest(this.series.raw, catchupLimit) : await reader.after(this.series.raw, since, catchupLimit);
    if (!this.active) return;
    // since ≤ 0 means "from the beginning": no reference point, so no gap (trade_canvas).
    this.lastSent = since !== null && since > 0 ? since : null;
    await this.deliver(read.data, read.from, read.to, 'catchup', read.fragments);
    const forming = this.currentForming();
    if (this.active && forming && (this.lastSent === null || forming.candle_time > this.lastSent)) {
      this.push(candleFormingFrame(this.series.raw, forming));
    }
  }

  /** Delivers queued live data in order; leaves the subscription live when the queue is empty. */
  private async pump(): Promise<void> {
    while (this.active && this.queue.length > 0) {
      const data = this.queue.shift()!;
      await this.deliver(data, 0, candleCount(data), 'live');
    }
    this.busy = false;
  }

  private async deliver(data: Float64Array, from: number, to: number, phase: DeliveryPhase, fragments?: readonly CandleJsonFragment[]): Promise<void> {
    let start = this.firstNew(data, from, to);
    if (start >= to) return;
    const hole = this.holeToFill(data, start);
    if (hole) {
      let filled: Float64Array;
      try {
        filled = await this.services.backfill!.fillHole(this.series.raw, hole);
      } catch {
        filled = new Float64Array(0); // best effort, as in trade_canvas: the hole is then announced
      }
      if (!this.active) return;
      data = mergeAscending(filled, data.subarray(start * CANDLE_STRIDE, to * CANDLE_STRIDE));
      start = this.firstNew(data, 0, candleCount(data));
      to = candleCount(data);
      if (start >= to) return;
    }
    this.emit(closedDelivery(this.series.raw, this.series.tfSeconds, this.lastSent, data, start, to, this.supportsBatch, phase, fragments));
  }

  private emit(delivery: ClosedDelivery): void {
    for (const frame of delivery.frames) this.push(frame);
    this.lastSent = delivery.lastSent;
  }

  private push(frame: OutboundFrame): void {
    this.host.outbox.push(frame);
  }

  /** Index of the first candle in [from, to) newer than last_sent_time. */
  private firstNew(data: Float64Array, from: number, to: number): number {
    if (this.lastSent === null) return from;
    return from + firstIndexAfter(data.subarray(from * CANDLE_STRIDE, to * CANDLE_STRIDE), this.lastSent);
  }

  /** The hole before candle `start` when it is to be filled first (gap-policy.ts), else null. */
  private holeToFill(data: Float64Array, start: number): Hole | null {
    if (this.services.backfill === null) return null; // announced by closedDelivery
    return holeBefore(this.lastSent, data[start * CANDLE_STRIDE]!, this.series.tfSeconds);
  }

  private fail(err: unknown): void {
    if (!this.active) return;
    this.cancel();
    this.push(errorFrame(err instanceof GatewayError ? err.code : 'internal', `delivery failed: ${describeError(err)}`, this.series.raw));
  }
}
