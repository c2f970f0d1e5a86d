import type { SeriesId } from '../../domain/series-id.js';
import { badRequest, GatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { decodeClientFrame, parseClientCommand, type SubscribeCommand } from '../../protocol/client-messages.js';
import { errorFrame, type WireEncoding } from '../../protocol/server-messages.js';
import type { MarketHub } from './market-hub.js';
import { Outbox, type ClientSocket, type OutboxLimits } from './outbox.js';
import type { Subscription, SubscriptionHost } from './subscription.js';

const log = createLogger('ws');

/**
 * The supervisor's side of a subscribe (contract §4): on-demand ingest is refcounted by WS
 * subscriptions. `acquire` resolves false when at capacity.
 */
export interface IngestDemand {
  acquire(series: SeriesId): Promise<boolean> | boolean;
  release(series: SeriesId): void;
}

/** No ingest supervisor: every subscribe is welcome and nothing is started. */
export const NO_INGEST_DEMAND: IngestDemand = { acquire: () => true, release: () => undefined };

export interface SessionOptions {
  readonly encoding: WireEncoding;
  readonly maxSubscriptions: number;
  readonly limits: OutboxLimits;
}

/**
 * One `/ws/market` connection: decodes client messages, enforces per-socket limits, asks the
 * supervisor, and owns the connection's subscriptions. Messages are handled one at a time, in
 * order, so a subscribe waiting on the supervisor cannot be overtaken by a later unsubscribe.
 */
export class ClientSession implements SubscriptionHost {
  readonly outbox: Outbox;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly acquired = new Map<string, SeriesId>();
  private queue: Promise<void> = Promise.resolve();
  private writableWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly socket: ClientSocket,
    private readonly hub: MarketHub,
    private readonly demand: IngestDemand,
    private readonly options: SessionOptions,
  ) {
    this.outbox = new Outbox(socket, options.encoding, options.limits, hub.flusher, hub.counters, hub.outbound);
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  onMessage(data: ArrayBuffer, isBinary: boolean): void {
    let command;
    try {
      command = parseClientCommand(decodeClientFrame(data, isBinary));
    } catch (err) {
      this.reportError(err);
      return;
    }
    this.queue = this.queue.then(async () => {
      if (this.closed) return;
      try {
        if (command.type === 'subscribe') await this.subscribe(command);
        else this.unsubscribe(command.series);
      } catch (err) {
        this.reportError(err);
      }
    });
  }

  onDrain(): void {
    this.outbox.refreshBuffered();
    if (!this.outbox.writable) return;
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const resolve of waiters) resolve();
  }

  onClose(): void {
    this.closed = true;
    this.outbox.release();
    for (const sub of this.subscriptions.values()) this.hub.unsubscribe(sub);
    this.subscriptions.clear();
    for (const series of this.acquired.values()) this.demand.release(series);
    this.acquired.clear();
    for (const resolve of this.writableWaiters.splice(0)) resolve();
  }

  whenWritable(): Promise<void> {
    if (this.closed || this.outbox.writable) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  private async subscribe(cmd: SubscribeCommand): Promise<void> {
    const key = cmd.series.raw;
    const existing = this.subscriptions.get(key);
    if (!existing && this.subscriptions.size >= this.options.maxSubscriptions) {
      throw badRequest(`subscription limit reached (${this.options.maxSubscriptions} per connection)`);
    }
    if (!this.acquired.has(key)) {
      // Re-subscribing replaces the subscription without taking another reference (contract §3).
      const granted = await this.demand.acquire(cmd.series);
      if (this.closed) {
        if (granted) this.demand.release(cmd.series);
        return;
      }
      if (!granted) {
        this.outbox.push(errorFrame('capacity', 'ondemand_ingest_capacity', key));
        return;
      }
      this.acquired.set(key, cmd.series);
    }
    if (existing) this.hub.unsubscribe(existing);
    const sub = this.hub.subscribe(this, cmd.series, cmd.supportsBatch, { since: cmd.since, tailLimit: cmd.tailLimit });
    this.subscriptions.set(key, sub);
  }

  private unsubscribe(series: SeriesId): void {
    const sub = this.subscriptions.get(series.raw);
    if (sub) {
      this.hub.unsubscribe(sub);
      this.subscriptions.delete(series.raw);
    }
    if (this.acquired.delete(series.raw)) this.demand.release(series);
  }

  private reportError(err: unknown): void {
    if (err instanceof GatewayError) {
      this.outbox.push(errorFrame(err.code, err.message));
      return;
    }
    log.error('unexpected error handling a client message', { error: err });
    this.outbox.push(errorFrame('internal', 'internal error'));
  }
}
