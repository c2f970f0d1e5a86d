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
 * What a subscribe got from the supervisor: `served` (no job of its own to hold: a whitelisted
 * series, another market, ingest off), `ondemand` (it holds an on-demand job, counted against
 * the connection's cap), or a refusal: `capacity` (ONDEMAND_MAX_JOBS) or `connection_limit`
 * (this connection already holds MARKET_WS_MAX_ONDEMAND_SERIES on-demand series).
 */
export type DemandGrant = 'served' | 'ondemand' | 'capacity' | 'connection_limit';

/**
 * The supervisor's side of a subscribe (contract §4): on-demand ingest is refcounted by WS
 * subscriptions. `ondemandLeft` is how many more on-demand series this connection may hold.
 * Rejects with `unknown_symbol` when the exchange does not list the symbol (no job starts).
 */
export interface IngestDemand {
  acquire(series: SeriesId, ondemandLeft: number): Promise<DemandGrant> | DemandGrant;
  release(series: SeriesId): void;
}

/** No ingest supervisor: every subscribe is welcome and nothing is started. */
export const NO_INGEST_DEMAND: IngestDemand = { acquire: () => 'served', release: () => undefined };

export interface SessionOptions {
  readonly encoding: WireEncoding;
  readonly maxSubscriptions: number;
  /** On-demand series one connection may hold (MARKET_WS_MAX_ONDEMAND_SERIES). */
  readonly maxOndemandSeries?: number;
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
  /** Of those, the ones holding an on-demand job (the per-connection cap counts them). */
  private readonly ondemand = new Set<string>();
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
    this.outbox.onFlushed = (buffered) => {
      // Everything this socket had waiting is now written: caught-up subscriptions may join
      // their topic (topic-group.ts); what is published from here on reaches them that way.
      for (const sub of this.subscriptions.values()) if (sub.mayJoinTopic) hub.tryJoinTopic(sub, this.outbox, buffered);
    };
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

  /** The socket closed; `heldForMs` as in WsConnectionHandler.onClose (its buffer may outlive it). */
  onClose(heldForMs = 0): void {
    this.closed = true;
    this.outbox.release(heldForMs);
    for (const sub of this.subscriptions.values()) this.hub.unsubscribe(sub);
    this.subscriptions.clear();
    for (const series of this.acquired.values()) this.demand.release(series);
    this.acquired.clear();
    this.ondemand.clear();
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
      const left = (this.options.maxOndemandSeries ?? Number.POSITIVE_INFINITY) - this.ondemand.size;
      let grant: DemandGrant;
      try {
        grant = await this.demand.acquire(cmd.series, left);
      } catch (err) {
        // e.g. unknown_symbol: about this series, so the error names it; no data follows for it.
        if (!(err instanceof GatewayError)) throw err;
        this.outbox.push(errorFrame(err.code, err.message, key));
        return;
      }
      const granted = grant === 'served' || grant === 'ondemand';
      if (this.closed) {
        if (granted) this.demand.release(cmd.series);
        return;
      }
      if (!granted) {
        this.outbox.push(errorFrame('capacity', grant === 'capacity' ? 'ondemand_ingest_capacity' : 'ondemand_connection_limit', key));
        return;
      }
      this.acquired.set(key, cmd.series);
      if (grant === 'ondemand') this.ondemand.add(key);
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
    this.ondemand.delete(series.raw);
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
