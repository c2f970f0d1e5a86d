import { Backoff, type BackoffOptions } from './backoff.js';
import { SOCKET_OPEN, type SocketLike, type Transport } from './transport.js';

export interface SocketEvents {
  /** The socket is open: (re)send subscriptions. */
  onOpen(): void;
  onText(text: string): void;
  /** The socket is gone; a new one will be opened in `retryInMs`. Subscriptions died with it. */
  onDown(reason: string, retryInMs: number): void;
  /** A frame we cannot use (binary): we never ask for msgpack, so it means a misrouted socket. */
  onIgnored(reason: string): void;
}

/**
 * One `/ws/market` socket for the whole page, reopened with exponential backoff whenever it
 * closes, for whatever reason (server restart 1001, slow-consumer 1008, network loss). Handlers
 * of a replaced socket are ignored by identity, so a late event of an old socket cannot act.
 */
export class ReconnectingSocket {
  private ws: SocketLike | null = null;
  private retryTimer: unknown = null;
  private disposed = false;
  private readonly backoff: Backoff;

  constructor(
    private readonly url: string,
    private readonly transport: Transport,
    backoff: BackoffOptions,
    private readonly events: SocketEvents,
  ) {
    this.backoff = new Backoff(backoff, transport.random);
  }

  get isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === SOCKET_OPEN;
  }

  /** Opens the socket unless it is open, opening, or waiting to reopen. */
  start(): void {
    if (this.disposed || this.ws || this.retryTimer !== null) return;
    this.open();
  }

  /** Sends a text frame; false when the socket is not open (the frame is not queued). */
  send(text: string): boolean {
    if (!this.isOpen) return false;
    this.ws!.send(text);
    return true;
  }

  dispose(): void {
    this.disposed = true;
    if (this.retryTimer !== null) this.transport.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'page closed');
  }

  private open(): void {
    let ws: SocketLike;
    try {
      ws = this.transport.openSocket(this.url);
    } catch (err) {
      this.retry(`cannot open socket: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      // Reset on open: a refused connect keeps growing the delay, a healthy one starts over.
      this.backoff.reset();
      this.events.onOpen();
    });
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws) return;
      if (typeof event.data === 'string') this.events.onText(event.data);
      else this.events.onIgnored('binary frame ignored');
    });
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.retry(`socket closed (code ${event.code}${event.reason ? ` ${event.reason}` : ''})`);
    });
  }

  private retry(reason: string): void {
    if (this.disposed) return;
    const delay = this.backoff.next();
    this.retryTimer = this.transport.clock.setTimeout(() => {
      this.retryTimer = null;
      if (!this.disposed) this.open();
    }, delay);
    this.events.onDown(reason, delay);
  }
}
