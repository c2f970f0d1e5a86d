import { connect, createInbox, errors, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { GatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { Bus, BusEvent, BusSubscription, DurableMessage, LeaseBucket, PublishAck } from './bus.js';
import { NatsLeaseBucket } from './nats-lease-bucket.js';
import { PendingAcks } from './pending-acks.js';

const log = createLogger('bus');

/** How long a client waits between reconnect attempts (nats.js adds jitter). */
const RECONNECT_WAIT_MS = 250;
/** A silent server is declared lost after PING_INTERVAL_MS × MAX_PINGS_OUT. */
const PING_INTERVAL_MS = 2000;
const MAX_PINGS_OUT = 2;
/** A retried publish within this window is recognised by its message id and not stored twice. */
const DUPLICATE_WINDOW_NS = 120e9;
const NS_PER_MS = 1e6;
/** How often publishes waiting for their stream ack are checked against their timeout. */
const ACK_SWEEP_MS = 250;

export interface NatsBusOptions {
  /** Comma-separated server URLs (TRADE_CANVAS_NATS_URL). */
  readonly servers: string;
  /** This node's name: the connection's name on the server. */
  readonly name: string;
  /** The durable stream of committed candles and the subjects it captures. */
  readonly stream: { readonly name: string; readonly subjects: readonly string[]; readonly maxAgeMs: number };
}

/**
 * The bus over NATS (the only module that imports the NATS client): core NATS for forming candles
 * and requests, a JetStream stream for committed candles, JetStream key-value buckets for leases.
 * Reconnects forever; the stream and buckets live on the server's disk, so a restarted nats-server
 * keeps them.
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<Bus> {
  const servers = options.servers.split(',').map((s) => s.trim());
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
      // nats.js otherwise builds two Error objects (stack traces) per request to name the caller
      // if it fails: every acked JetStream publish and KV update. Profiled on an ingest node of
      // bench:cluster: ~8% of its main thread. Our errors say which operation failed anyway.
      noAsyncTraces: true,
    });
  } catch (err) {
    throw new GatewayError('unavailable', `cannot connect to NATS at ${options.servers}: ${(err as Error).message}`, { cause: err });
  }
  const bus = new NatsBus(nc, jetstream(nc), options);
  await bus.ensureStream();
  return bus;
}

class NatsBus implements Bus {
  private readonly listeners: Array<(event: BusEvent) => void> = [];
  private isConnected = true;
  reconnects = 0;
  /** Stream acks of durable publishes arrive on `<inbox>.<token>` (see publishDurable). */
  private readonly ackInbox = createInbox();
  private readonly acks = new PendingAcks<PublishAck>(ACK_SWEEP_MS);

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly options: NatsBusOptions,
  ) {
    void this.watchStatus();
    // One subscription for every ack (the client re-subscribes it after a reconnect).
    nc.subscribe(`${this.ackInbox}.*`, { callback: (err, msg) => (err ? undefined : this.onAck(msg)) });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get server(): string {
    return this.nc.getServer();
  }

  async ensureStream(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const { name, subjects, maxAgeMs } = this.options.stream;
    try {
      const info = await jsm.streams.info(name);
      if (info.config.max_age !== maxAgeMs * NS_PER_MS) {
        await jsm.streams.update(name, { ...info.config, max_age: maxAgeMs * NS_PER_MS });
        log.info('bus stream retention changed', { stream: name, maxAgeS: maxAgeMs / 1000 });
      }
    } catch (err) {
      if (!/stream not found/i.test((err as Error).message)) throw err;
      await jsm.streams.add({
        name,
        subjects: [...subjects],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_age: maxAgeMs * NS_PER_MS,
        // nats-server refuses a duplicate window longer than the stream keeps messages.
        duplicate_window: Math.min(DUPLICATE_WINDOW_NS, maxAgeMs * NS_PER_MS),
      });
      log.info('bus stream created', { stream: name, subjects, maxAgeS: maxAgeMs / 1000 });
    }
  }

  /**
   * A JetStream publish is a publish with a reply subject the stream answers on. Done by hand
   * rather than through `js.publish` (a request per message: a timer, a mux entry and an Error
   * object each, ~5% of an ingest node's main thread in bench:cluster's profile): one reply
   * subscription, acks matched by token, one sweep for timeouts.
   */
  publishDurable(subject: string, data: Uint8Array, msgId: string, timeoutMs: number): Promise<PublishAck> {
    const { token, promise } = this.acks.add(timeoutMs);
    const h = headers();
    h.set('Nats-Msg-Id', msgId); // the stream stores a retried publish once (duplicate window)
    try {
      this.nc.publish(subject, data, { reply: `${this.ackInbox}.${token}`, headers: h });
    } catch (err) {
      this.acks.settle(token, err as Error);
    }
    return promise;
  }

  private onAck(msg: Msg): void {
    const token = Number(msg.subject.slice(this.ackInbox.length + 1));
    // A status reply (503: no stream captures the subject, or JetStream is off) carries no body.
    if (msg.headers?.hasError) return this.acks.settle(token, new Error(`no stream ack: ${msg.headers.status}`));
    let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: { description?: string } };
    try {
      ack = msg.json();
    } catch {
      return this.acks.settle(token, new Error('unreadable stream ack'));
    }
    if (ack.error || typeof ack.seq !== 'number')
      return this.acks.settle(token, new Error(`stream refused the publish: ${ack.error?.description ?? 'no sequence'}`));
    this.acks.settle(token, { seq: ack.seq, duplicate: ack.duplicate === true });
  }

  async streamState(): Promise<{ firstSeq: number; lastSeq: number }> {
    const jsm = await jetstreamManager(this.nc);
    const info = await jsm.streams.info(this.options.stream.name);
    return { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq };
  }

  async consumeDurable(fromSeq: number, onMessage: (msg: DurableMessage) => void): Promise<BusSubscription> {
    // An ordered consumer: ephemeral, flow-controlled, recreated by the client from the last
    // sequence it delivered when it notices a gap or missed heartbeats. After a reconnect it is
    // recreated here at once: a restarted nats-server has forgotten the consumer and its pull,
    // and the client would otherwise wait out the heartbeat (measured: the feed stalled > 30 s).
    let next = Math.max(1, fromSeq);
    const deliver = (m: DurableMessage) => {
      next = Math.max(next, m.seq + 1);
      onMessage(m);
    };
    let opened = 0;
    return this.resubscribeOnReconnect('bus feed', async () => {
      if (opened++ > 0) this.emit('consumer_reset');
      const consumer = await this.js.consumers.get(this.options.stream.name, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next });
      const messages = await consumer.consume({ callback: (m) => deliver({ seq: m.seq, subject: m.subject, data: m.data }) });
      void (async () => {
        for await (const status of messages.status()) {
          if (status.type === 'ordered_consumer_recreated') this.emit('consumer_reset');
        }
      })();
      return () => void messages.stop();
    });
  }

  /**
   * Runs `open` now and again after every reconnect (closing what the previous one opened), so a
   * JetStream consumer or watch never outlives the server session it was made in. A failed reopen
   * is retried at the next reconnect and logged.
   */
  async resubscribeOnReconnect(what: string, open: () => Promise<() => void>): Promise<BusSubscription> {
    let closeCurrent: (() => void) | null = await open();
    let closed = false;
    this.onEvent((event) => {
      if (event !== 'reconnected' || closed) return;
      closeCurrent?.();
      closeCurrent = null;
      open().then(
        (close) => (closed ? close() : (closeCurrent = close)),
        (err: unknown) => log.error(`${what}: could not resume after the reconnect`, { error: (err as Error).message }),
      );
    });
    return {
      close: () => {
        closed = true;
        closeCurrent?.();
        closeCurrent = null;
      },
    };
  }

  publish(subject: string, data: Uint8Array): void {
    this.nc.publish(subject, data);
  }

  subscribe(subject: string, onMessage: (subject: string, data: Uint8Array) => void): BusSubscription {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => (err ? log.warn('bus subscription error', { subject, error: err }) : onMessage(msg.subject, msg.data)),
    });
    return { close: () => sub.unsubscribe() };
  }

  serve(subject: string, queue: string, handler: (data: Uint8Array) => Promise<Uint8Array>): BusSubscription {
    const sub = this.nc.subscribe(subject, {
      queue,
      callback: (err, msg) => {
        if (err) return log.warn('bus service error', { subject, error: err });
        handler(msg.data).then(
          (reply) => msg.respond(reply),
          (e: unknown) => log.error('bus request handler failed', { subject, error: e }),
        );
      },
    });
    return { close: () => sub.unsubscribe() };
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    try {
      return (await this.nc.request(subject, data, { timeout: timeoutMs })).data;
    } catch (err) {
      const noResponders = err instanceof errors.NoRespondersError || (err instanceof errors.RequestError && err.isNoResponders());
      const why = noResponders ? `nobody serves ${subject}` : `no answer on ${subject} (${(err as Error).message})`;
      throw new GatewayError('unavailable', why, { cause: err });
    }
  }

  async leases(name: string, ttlMs: number): Promise<LeaseBucket> {
    const kvm = new Kvm(this.nc);
    let kv: KV;
    try {
      kv = await kvm.create(name, { ttl: ttlMs, history: 1, storage: StorageType.File });
    } catch (err) {
      // Created earlier with another TTL (another node's setting): use it as it is.
      log.warn('lease bucket exists with other settings; using it as it is', { bucket: name, wantedTtlMs: ttlMs, error: (err as Error).message });
      kv = await kvm.open(name);
    }
    const status = await kv.status();
    return new NatsLeaseBucket(this, kv, status.ttl);
  }

  onEvent(listener: (event: BusEvent) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    // Drained first: acks already on their way still settle their publishes.
    await this.nc.drain().catch(() => this.nc.close());
    this.acks.close(new Error('bus closed'));
  }

  private emit(event: BusEvent): void {
    for (const l of this.listeners) l(event);
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.isConnected = false;
        log.warn('bus disconnected; reconnecting', { server: status.server });
        this.emit('disconnected');
      } else if (status.type === 'reconnect') {
        this.isConnected = true;
        this.reconnects++;
        log.info('bus reconnected', { server: status.server });
        this.emit('reconnected');
      }
    }
  }
}
