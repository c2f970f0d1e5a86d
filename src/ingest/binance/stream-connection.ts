import { parseKlineFrame } from '../../domain/binance-kline.js';
import { KlineByteScanner } from '../../domain/binance-kline-bytes.js';
import { KlineFrame } from '../../domain/kline-frame.js';
import { combinedStreamUrl } from '../../exchange/binance/binance-endpoints.js';
import type { Clock, Timer } from '../../shared/clock.js';
import { WsClient, type InboundText } from '../ws/ws-client.js';
import { InboundPacer } from './inbound-pacer.js';
import { StreamNames } from './stream-names.js';
import { SubscriptionSet } from './subscription-set.js';

/**
 * One Binance combined-stream socket, from connect to close, no reconnects (binance-stream.ts
 * owns those). It subscribes what its owner wants, paced under the inbound limit, parses every
 * frame and hands klines up. It can always be killed: a close handshake the peer never answers
 * (half-open TCP) is cut by destroying the socket.
 *
 * The hot path (issue 16): each frame is scanned from the socket's bytes (ws/ws-client.ts hands a
 * view of its read buffer) into the connection's one KlineFrame; the stream name is the interned
 * string its hash points at (stream-names.ts). No string, event or candle object per frame. A frame
 * outside Binance's usual layout (a reply, a notice, non-ASCII) takes the string parser.
 */

/** TCP + TLS connect and upgrade-response bound; Binance answers in well under a second. */
const CONNECT_TIMEOUT_MS = 10_000;
/** How long a close handshake may take before the socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** Wait after an error reply before trying the same (UN)SUBSCRIBE again. */
const RESUBSCRIBE_DELAY_MS = 1_000;

export interface ConnectionHandlers {
  /**
   * A kline frame (not yet deduplicated against other connections). The frame is the
   * connection's own, reused for the next one: copy what must outlive the call.
   */
  onKline(frame: KlineFrame, conn: StreamConnection): void;
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

export class StreamConnection {
  readonly id: number;
  readonly openedAt: number;
  readonly subscriptions: SubscriptionSet;
  /** Last data frame (or open); the owner's watchdog replaces a connection silent for too long. */
  lastActivityAt: number;
  frames = 0;
  klines = 0;
  skipped = 0;
  private readonly ws: WsClient;
  private readonly pacer: InboundPacer;
  private readonly clock: Clock;
  private readonly handlers: ConnectionHandlers;
  private readonly scanner = new KlineByteScanner();
  private readonly frame = new KlineFrame();
  private readonly names = new StreamNames();
  /** Data frames arrived in the current socket read: activity is stamped once per read. */
  private dataInRead = false;
  /** Clock time of the current socket read's first data frame: one clock read per read, not per frame. */
  private readAt = 0;
  /** close() was called: what still arrives is not delivered (as a browser WebSocket would not). */
  private closing = false;
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
    this.ws = new WsClient(combinedStreamUrl(options.baseUrl, options.initialStreams), {
      open: () => this.onOpen(),
      text: (message) => this.onText(message),
      binary: () => this.onBinary(),
      // Pings do not count as activity: a socket on a wrong path gets pings but no data (sources.md).
      ping: () => this.pacer.recordPong(this.clock.now()),
      readEnd: () => this.onReadEnd(),
      close: (code, reason) => this.finish(code, reason),
    });
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
    this.closing = true;
    this.ws.close(1000, reason.slice(0, 100));
    this.clearKillTimer();
    this.killTimer = this.clock.setTimeout(() => this.destroy(`${reason} (close timed out)`), CLOSE_GRACE_MS);
  }

  /** Immediate teardown: no close handshake (dead or stalled peer). */
  destroy(reason: string): void {
    if (this.ended) return;
    this.ws.destroy(reason);
    this.finish(1006, reason);
  }

  private onOpen(): void {
    if (this.ended) return;
    this.isOpen = true;
    this.lastActivityAt = this.clock.now();
    this.clearKillTimer();
    this.pump();
  }

  private onText(message: InboundText): void {
    // A rotated-out socket may still carry frames (the replacement has them) or a shutdown notice.
    if (this.ended || this.closing) return;
    this.frames++;
    this.stampRead();
    const frame = this.frame;
    frame.receivedAt = this.readAt;
    if (this.scanner.scan(message.bytes, message.start, message.end, frame)) {
      frame.stream = this.names.resolve(message.bytes, frame.streamStart, frame.streamEnd, frame.streamHash);
      this.deliver(frame);
      return;
    }
    const text = message.text();
    if (text === undefined) {
      // Not UTF-8: the client is failing the connection (1007).
      this.skipped++;
      return;
    }
    const parsed = parseKlineFrame(text);
    if (parsed.ok) {
      this.deliver(frame.fromEvent(parsed));
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

  private deliver(frame: KlineFrame): void {
    this.klines++;
    this.handlers.onKline(frame, this);
    if (!this.readySent) this.checkReady();
  }

  /** Binance sends no binary messages: counted and skipped. */
  private onBinary(): void {
    if (this.ended || this.closing) return;
    this.frames++;
    this.skipped++;
    this.stampRead();
  }

  private stampRead(): void {
    if (this.dataInRead) return;
    this.dataInRead = true;
    this.readAt = this.clock.now();
  }

  private onReadEnd(): void {
    if (!this.dataInRead) return;
    this.dataInRead = false;
    this.lastActivityAt = this.readAt;
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
    this.handlers.onClosed(this, code, reason);
  }
}
