import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { FakeConnection, routeWsPath, type FakeConnectionStats } from './fake-connection.js';
import type { FakeBinanceOptions } from './fake-options.js';
import type { FakeMarket } from './fake-rest.js';
import { acceptUpgrade } from './ws-peer.js';

/** Binance's inbound message limit per connection and second, when the options name none. */
const DEFAULT_INBOUND_PER_S: Record<FakeMarket, number> = { spot: 5, futures: 10 };

export type WsEndpointOptions = Pick<FakeBinanceOptions, 'inboundLimit' | 'enforceInboundLimit' | 'pingIntervalMs'>;

/**
 * The fake's WebSocket side (FakeBinance owns the HTTP server and hands it the upgrades): the
 * open connections, delivery of a stream's frames to its subscribers, waiting for subscriptions,
 * and the connection-level faults (drop, silence, `serverShutdown`). A stream a client asks for
 * is announced to `ensureStreams`, which decides whether the generator creates it.
 */
export class FakeWsEndpoint {
  readonly connections = new Set<FakeConnection>();
  /** Closed ones too: their stats stay readable after a drop. */
  private readonly allConnections: FakeConnection[] = [];
  private nextId = 1;
  /** subscribed() promises, each checked when a subscription changes. */
  private readonly subscriptionWaiters = new Set<() => boolean>();
  private readonly pinger: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: WsEndpointOptions,
    private readonly ensureStreams: (market: FakeMarket, streams: readonly string[]) => void,
  ) {
    if (opts.pingIntervalMs) this.pinger = setInterval(() => this.connections.forEach((c) => c.peer.ping('fake')), opts.pingIntervalMs);
  }

  /** Takes over an HTTP upgrade: a known path becomes a connection, anything else a 404. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = routeWsPath(url);
    if (route === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const { market, combined, streams } = route;
    const limit = this.opts.inboundLimit?.[market] ?? DEFAULT_INBOUND_PER_S[market];
    // Assigned once the upgrade succeeds; the peer's callbacks may run before that (no TDZ error).
    // eslint-disable-next-line prefer-const
    let conn: FakeConnection | undefined;
    const peer = acceptUpgrade(req, socket, head, {
      onText: (text) => conn?.handleText(text),
      onFrame: (kind) => conn?.countInbound(kind),
      onClose: () => conn && this.connections.delete(conn),
    });
    if (!peer) return;
    conn = new FakeConnection(this.nextId++, market, combined, url.pathname + url.search, peer, limit, this.opts.enforceInboundLimit ?? false, (c, added) => {
      this.ensureStreams(c.market, added);
      this.checkSubscriptionWaiters();
    });
    for (const s of streams) conn.streams.add(s);
    this.ensureStreams(market, streams);
    this.connections.add(conn);
    this.allConnections.push(conn);
    this.checkSubscriptionWaiters();
  }

  /** Sends one frame to every connection of `market` subscribed to `stream`. */
  deliver(market: FakeMarket, stream: string, data: string): void {
    for (const c of this.connections) if (c.market === market) c.deliver(stream, data);
  }

  /** Resolves once connections of `market` are subscribed to every one of `streams`. */
  subscribed(market: FakeMarket, streams: readonly string[]): Promise<void> {
    const done = () => streams.every((s) => [...this.connections].some((c) => c.market === market && c.streams.has(s)));
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      this.subscriptionWaiters.add(() => (done() ? (resolve(), true) : false));
    });
  }

  /** Cuts every connection without a close frame. */
  dropAll(): number {
    const n = this.connections.size;
    for (const c of this.connections) c.peer.destroy();
    return n;
  }

  /** Current connections stop receiving anything (sockets stay open) for `ms`. */
  silence(ms: number): number {
    const victims = [...this.connections];
    for (const c of victims) c.peer.silent = true;
    setTimeout(() => victims.forEach((c) => (c.peer.silent = false)), ms).unref();
    return victims.length;
  }

  /** Sends `serverShutdown` to every connection, closing them `closeAfterMs` later (-1 = never). */
  serverShutdown(closeAfterMs: number): number {
    const victims = [...this.connections];
    const text = JSON.stringify({ e: 'serverShutdown', E: Date.now() });
    for (const c of victims) c.peer.sendText(text);
    if (closeAfterMs >= 0) setTimeout(() => victims.forEach((c) => c.peer.close(1001, 'server shutdown')), closeAfterMs).unref();
    return victims.length;
  }

  stats(): FakeConnectionStats[] {
    return this.allConnections.map((c) => c.stats());
  }

  /** No more pings; every connection is cut. */
  close(): void {
    if (this.pinger) clearInterval(this.pinger);
    this.dropAll();
  }

  private checkSubscriptionWaiters(): void {
    for (const check of this.subscriptionWaiters) if (check()) this.subscriptionWaiters.delete(check);
  }
}
