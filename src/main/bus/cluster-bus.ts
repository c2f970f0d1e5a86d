import { hostname } from 'node:os';
import type { Candle } from '../../domain/candle.js';
import { createLogger } from '../../shared/log.js';
import type { CommittedMessage } from '../../writer/contract.js';
import type { Config } from '../config/settings.js';
import type { PrometheusText } from '../metrics/prometheus-text.js';
import type { Bus } from './bus.js';
import { clusterNames, type ClusterNames } from './cluster-names.js';
import { CommittedFeed } from './committed-feed.js';
import { CommittedPublisher } from './committed-publisher.js';
import { FormingRelay } from './forming-relay.js';
import { connectNatsBus } from './nats-bus.js';

const log = createLogger('bus');

/** Bounds the stream-head lookup of a scrape or ingest_state, so NATS being away never hangs them. */
const HEAD_LOOKUP_TIMEOUT_MS = 1000;

/** What the node hands the bus at start: where bus commits and forming candles go. */
export interface ClusterSinks {
  /** A commit from the stream (any node's): tail cache, then hub. */
  readonly applyCommitted: (msg: CommittedMessage) => void;
  /** The stream lost messages for this node, or a publisher dropped some: forget cached tails. */
  readonly dropCaches: () => void;
  readonly hub: { publishForming(seriesId: string, candle: Candle): unknown };
}

/**
 * A node's side of the bus (TRADE_CANVAS_BUS=nats): the connection, the publisher of this node's
 * commits, the feed of everyone's commits, and the forming relay. Built by the gateway when the
 * bus is on; the gateway wires its writer's commits to `publisher` and its hub to the feed.
 */
export class ClusterBus {
  readonly publisher: CommittedPublisher;
  readonly forming: FormingRelay;
  private feedRef: CommittedFeed | null = null;

  private constructor(
    readonly bus: Bus,
    readonly names: ClusterNames,
    readonly node: string,
    readonly role: Config['role'],
    maxPendingCandles: number,
  ) {
    this.publisher = new CommittedPublisher(bus, names, node, maxPendingCandles);
    this.forming = new FormingRelay(bus, names, node);
  }

  static async connect(config: Config): Promise<ClusterBus> {
    const node = nodeNameOf(config);
    const names = clusterNames(config.busSubjectPrefix);
    const bus = await connectNatsBus({
      servers: config.natsUrl,
      name: node,
      stream: { name: names.stream, subjects: names.streamSubjects, maxAgeMs: config.busStreamMaxAgeS * 1000 },
    });
    log.info('bus connected', { node, role: config.role, server: bus.server, stream: names.stream });
    return new ClusterBus(bus, names, node, config.role, config.busMaxPendingCandles);
  }

  /** The feed, once started (the gateway builds its tail cache before the feed exists). */
  get feed(): CommittedFeed {
    if (!this.feedRef) throw new Error('the bus feed is used before it started');
    return this.feedRef;
  }

  get applied(): number {
    return this.feedRef?.appliedSeq ?? 0;
  }

  /** Starts delivering the stream and forming candles to the node. */
  async start(sinks: ClusterSinks): Promise<void> {
    this.feedRef = new CommittedFeed(this.bus, this.names, sinks.applyCommitted, sinks.dropCaches);
    this.bus.onEvent((event) => {
      if (event === 'consumer_reset') log.info('bus feed resumed after the last applied sequence', { appliedSeq: this.applied });
    });
    await this.feedRef.start();
    this.forming.start(sinks.hub);
  }

  /** Lag of this node's feed behind the stream's head; head null when NATS did not answer. */
  async lag(): Promise<{ head: number | null; applied: number }> {
    const head = await Promise.race([
      this.bus.streamState().then(
        (s) => s.lastSeq,
        () => null,
      ),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), HEAD_LOOKUP_TIMEOUT_MS).unref()),
    ]);
    return { head, applied: this.applied };
  }

  notReadyReasons(): string[] {
    return this.bus.connected ? [] : [`bus disconnected from NATS (${this.bus.server}); reconnecting`];
  }

  /** For ingest_state. */
  async state(): Promise<Record<string, unknown>> {
    const lag = await this.lag();
    return {
      node: this.node,
      role: this.role,
      bus: {
        connected: this.bus.connected,
        server: this.bus.server,
        reconnects: this.bus.reconnects,
        stream: this.names.stream,
        stream_last_seq: lag.head,
        applied_seq: lag.applied,
        lag: lag.head === null ? null : Math.max(0, lag.head - lag.applied),
        publisher: this.publisher.stats(),
      },
    };
  }

  async metrics(out: PrometheusText): Promise<void> {
    const P = 'kline_gateway_bus_';
    const lag = await this.lag();
    const pub = this.publisher.stats();
    const feed = this.feedRef?.stats();
    const node = { node: this.node };
    out
      .metric(`${P}connected`, 'gauge', 'Whether this node is connected to NATS (1) or reconnecting (0).', [[node, this.bus.connected ? 1 : 0]])
      .single(`${P}reconnects_total`, 'counter', 'Times the NATS connection came back after a loss.', this.bus.reconnects)
      .single(`${P}stream_last_seq`, 'gauge', "The stream's newest sequence (NaN when NATS did not answer).", lag.head ?? Number.NaN)
      .single(`${P}applied_seq`, 'gauge', 'Stream sequence this node last applied to its tail cache and hub.', lag.applied)
      .single(
        `${P}lag_messages`,
        'gauge',
        'Stream head minus applied sequence: commits not yet seen here.',
        lag.head === null ? Number.NaN : Math.max(0, lag.head - lag.applied),
      )
      .single(`${P}applied_candles_total`, 'counter', 'Closed candles applied from the stream (every node’s commits).', feed?.appliedCandles ?? 0)
      .single(
        `${P}cache_resyncs_total`,
        'counter',
        'Times this node dropped its cached tails (resync message, or stream messages expired unapplied).',
        feed?.resyncs ?? 0,
      )
      .single(
        `${P}publish_pending_candles`,
        'gauge',
        'Committed candles of this node waiting for the stream (bounded by BUS_MAX_PENDING_CANDLES).',
        pub.pendingCandles,
      )
      .single(`${P}published_candles_total`, 'counter', 'Committed candles of this node acknowledged by the stream.', pub.publishedCandles)
      .single(`${P}publish_retries_total`, 'counter', 'Publishes that failed or timed out and were retried.', pub.retries)
      .single(
        `${P}publish_dropped_candles_total`,
        'counter',
        'Committed candles left off the bus because the publish queue was full (they are in the store).',
        pub.droppedCandles,
      )
      .metric(`${P}forming_total`, 'counter', 'Forming candles published by this node and received from the bus.', [
        [{ direction: 'published' }, this.forming.published],
        [{ direction: 'received' }, this.forming.received],
      ]);
  }

  /**
   * Waits (bounded) until this node's last commit is on the stream and applied here: a graceful
   * stop then delivers its final candles to its own clients before closing their sockets.
   */
  async settle(timeoutMs: number): Promise<void> {
    const seq = await this.publisher.whenPublished(timeoutMs);
    if (seq === null) log.warn('stopping with commits not yet on the bus (they are in the store)', { pending: this.publisher.stats().pendingMessages });
    else if (this.feedRef) await this.feedRef.waitApplied(seq, timeoutMs);
  }

  /** Stops the feed, the relay and the publisher's retries, then drains and closes the connection. */
  async close(): Promise<void> {
    this.feedRef?.stop();
    this.forming.stop();
    this.publisher.close();
    await this.bus.close();
  }
}

/** TRADE_CANVAS_NODE_NAME, else `<hostname>-<pid>` (unique on a host, and says where it runs). */
export function nodeNameOf(config: Pick<Config, 'nodeName'>): string {
  if (config.nodeName !== '') return config.nodeName;
  return `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}`;
}
