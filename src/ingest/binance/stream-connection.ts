import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { Agent, buildConnector, WebSocket } from 'undici';
import { parseKlineFrame, type KlineEvent } from '../../domain/binance-kline.js';
import { combinedStreamUrl } from '../../exchange/binance/binance-endpoints.js';
import type { Clock, Timer } from '../../shared/clock.js';
import { InboundPacer } from './inbound-pacer.js';
import { SubscriptionSet } from './subscription-set.js';

/**
 * One Binance combined-stream socket, from connect to close, no reconnects (binance-stream.ts
 * owns those). It subscribes what its owner wants, paced under the inbound limit, parses every
 * frame and hands klines up. It can always be killed: a close handshake the peer never answers
 * (half-open TCP) is cut by destroying the socket captured from undici's connector.
 */

/** TCP + TLS connect and upgrade-response bound; Binance answers in well under a second. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long a close handshake may take before the socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** Wait after an error reply before trying the same (UN)SUBSCRIBE again. */
const RESUBSCRIBE_DELAY_MS = 1_000;

export interface ConnectionHandlers {
  /** A kline frame (not yet deduplicated against other connections). */
  onKline(ev: KlineEvent, conn: StreamConnection): void;
  /** The connection is open, every wanted stream is confirmed and a kline has arrived. */
  onReady(conn: StreamConnection): void;
  /** Binance announced it will close this connection (`serverShutdown`). */
  onShutdownNotice(conn: StreamConnection): void;
  /** Called exactly once, however the connection ended. */
  onClosed(conn: StreamConnection, code: number, reason: string): void;
}

export interface ConnectionOptions {
  readonly id: number;
  /** Base WS URL of the market, e.g. `wss://fstream.binance.com/market`. */
  readonly baseUrl: string;
  /** Streams put in the URL: live from the first frame, no SUBSCRIBE needed. */
  readonly initialStreams: readonly string[];
  readonly inboundMsgsPerSecond: number;
  readonly serverPingIntervalMs: number;
  readonly clock: Clock;
}

/** Pongs undici sends on its own are reported on this channel; map them to their connection. */
const pongSinks = new WeakMap<object, () => void>();
diagnostics.subscribe('undici:websocket:ping', (message) => {
  pongSinks.get((message as { websocket: object }).websocket)?.();
});

export class StreamConnection {
  readonly id: number;
  readonly openedAt: number;
  readonly subscriptions: SubscriptionSet;
  /** Last data frame (or open); the owner's watchdog replaces a connection silent for too long. */
  lastActivityAt: number;
  frames = 0;
  klines = 0;
  skipped = 0;
  private readonly ws: WebSocket;
  private readonly agent: Agent;
  private readonly pacer: InboundPacer;
  private readonly clock: Clock;
  private readonly handlers: ConnectionHandlers;
  private socket: Socket | undefined;
  private isOpen = false;
  private ended = false;
  private readySent = false;
  private sendTimer: Timer | undefined;
  private killTimer: Timer | undefined;

  constructor(options: ConnectionOptions, handlers: ConnectionHandlers) {
    this.id = options.id;
    this.clock = options.clock;
    this.handlers = handlers;
    this.openedAt = this.lastActivityAt = this.clock.now();
    this.pacer = new InboundPacer({ limitPerSecond: options.inboundMsgsPerSecond, serverPingIntervalMs: options.serverPingIntervalMs });
    this.subscriptions = new SubscriptionSet(options.initialStreams);
    const connect = buildConnector({ timeout: CONNECT_TIMEOUT_MS });
    this.agent = new Agent({
      headersTimeout: CONNECT_TIMEOUT_MS,
      connect: (opts, callback) =>
        connect(opts, (err, socket) => {
          if (socket) this.socket = socket as Socket;
          (callback as (e: Error | null, s: unknown) => void)(err, socket);
        }),
    });
    this.ws = new WebSocket(combinedStreamUrl(options.baseUrl, options.initialStreams), { dispatcher: this.agent });
    // Pings do not count as activity: a socket on a wrong path gets pings but no data (sources.md).
    pongSinks.set(this.ws, () => this.pacer.recordPong(this.clock.now()));
    this.ws.addEventListener('open', () => this.onOpen());
    this.ws.addEventListener('message', (ev) => this.onMessage(ev.data));
    this.ws.addEventListener('close', (ev) => this.finish(ev.code, ev.reason));
    // 'error' is always followed by 'close'; the close code says what happened.
    this.ws.addEventListener('error', () => {});
    this.killTimer = this.clock.setTimeout(() => {
      if (!this.isOpen) this.destroy('connect timeout');
    }, CONNECT_TIMEOUT_MS);
  }

  get open(): boolean {
    return this.isOpen && !this.ended;
  }

  get pacerStats(): { messages: number; pongs: number } {
    return this.pacer.stats;
  }

  /** Sets the streams this connection should carry; differences go out as paced (UN)SUBSCRIBEs. */
  want(streams: Iterable<string>): void {
    this.subscriptions.setWanted(streams);
    this.pump();
    this.checkReady();
  }

  /** Graceful close; destroys the socket if the peer does not finish the handshake in time. */
  close(reason = 'closing'): void {
    if (this.ended) return;
    try {
      this.ws.close(1000, reason.slice(0, 100));
    } catch {
      this.destroy(reason);
      return;
    }
    this.clearKillTimer();
    this.killTimer = this.clock.setTimeout(() => this.destroy(`${reason} (close timed out)`), CLOSE_GRACE_MS);
  }

  /** Immediate teardown: no close handshake (dead or stalled peer). */
  destroy(reason: string): void {
    if (this.ended) return;
    this.socket?.destroy();
    if (!this.socket) {
      try {
        this.ws.close();
      } catch {
        // Already closing; the agent teardown below ends it.
      }
    }
    this.finish(1006, reason);
  }

  private onOpen(): void {
    if (this.ended) return;
    this.isOpen = true;
    this.lastActivityAt = this.clock.now();
    this.clearKillTimer();
    this.pump();
  }

  private onMessage(data: unknown): void {
    if (this.ended) return;
    this.lastActivityAt = this.clock.now();
    this.frames++;
    if (typeof data !== 'string') {
      this.skipped++;
      return;
    }
    const parsed = parseKlineFrame(data);
    if (parsed.ok) {
      this.klines++;
      this.handlers.onKline(parsed, this);
      if (!this.readySent) this.checkReady();
      return;
    }
    this.skipped++;
    if (parsed.reason === 'reply' || parsed.reason === 'error_reply') {
      if (parsed.id !== undefined && this.subscriptions.settle(parsed.id, parsed.reason === 'reply')) {
        if (parsed.reason === 'error_reply') this.schedulePump(RESUBSCRIBE_DELAY_MS);
        else this.pump();
        this.checkReady();
      }
    } else if (parsed.reason === 'server_shutdown') {
      this.handlers.onShutdownNotice(this);
    }
  }

  /** Sends the next pending (UN)SUBSCRIBE if the pacer allows, else retries when it will. */
  private pump(): void {
    if (!this.open || this.sendTimer !== undefined) return;
    const now = this.clock.now();
    const wait = this.pacer.delayMs(now);
    if (wait > 0) {
      if (this.subscriptions.hasWork()) this.schedulePump(wait);
      return;
    }
    const request = this.subscriptions.nextRequest();
    if (request === undefined) return;
    this.pacer.recordSend(now);
    this.ws.send(JSON.stringify(request));
    if (this.subscriptions.hasWork()) this.pump();
  }

  private schedulePump(ms: number): void {
    if (this.sendTimer !== undefined || this.ended) return;
    this.sendTimer = this.clock.setTimeout(() => {
      this.sendTimer = undefined;
      this.pump();
    }, ms);
  }

  private checkReady(): void {
    if (this.readySent || !this.open || this.klines === 0 || !this.subscriptions.settled()) return;
    this.readySent = true;
    this.handlers.onReady(this);
  }

  private clearKillTimer(): void {
    if (this.killTimer !== undefined) this.clock.clearTimeout(this.killTimer);
    this.killTimer = undefined;
  }

  private finish(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.clearKillTimer();
    if (this.sendTimer !== undefined) this.clock.clearTimeout(this.sendTimer);
    this.sendTimer = undefined;
    pongSinks.delete(this.ws);
    this.agent.destroy().catch(() => {});
    this.handlers.onClosed(this, code, reason);
  }
}
