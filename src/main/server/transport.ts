/**
 * The socket library, as the rest of the gateway sees it (tardis-machine style): routes, sessions
 * and the hub use these types and never see uWebSockets.js, which only uws-transport.ts imports.
 */

export interface HttpRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  /** Lower-case header name → value ('' when absent). Only headers the gateway reads are kept. */
  header(name: string): string;
  /** The peer's IP address as text (per-client limits). */
  readonly remoteAddress: string;
  /** The request body (POST/PUT/PATCH); rejects with payload_too_large beyond the limit. */
  body(): Promise<Buffer>;
}

export interface HttpResponse {
  /** True once the client went away; responding is then a no-op. */
  readonly aborted: boolean;
  /** When the request arrived, on shared/clock.ts monotonicMs (request duration metric). */
  readonly startedAtMs: number;
  /** `closeConnection`: end the keep-alive connection after this response (e.g. an unread body). */
  respond(status: number, headers: Readonly<Record<string, string>>, body: Buffer | string, closeConnection?: boolean): void;
  /**
   * Starts a streamed answer (chunked; Server-Sent Events): status and headers go out now, the
   * body is written piece by piece. Null when the client already went away.
   */
  stream(status: number, headers: Readonly<Record<string, string>>): HttpStream | null;
}

/** The body of a streamed answer. Every callback runs on the main thread's event loop. */
export interface HttpStream {
  /**
   * Queues `chunk`; false = the socket has backpressure (the chunk is still queued): write no
   * more than needed until `onWritable` calls back.
   */
  write(chunk: string): boolean;
  /** False from a write that met backpressure until the socket drained (`onWritable`). */
  readonly writable: boolean;
  /** Called each time the queued bytes have drained after a write returned false. */
  onWritable(listener: () => void): void;
  /** Called once when the client went away (not after `end`). */
  onClose(listener: () => void): void;
  /** Finishes the answer (the connection stays usable for keep-alive). */
  end(): void;
  readonly closed: boolean;
}

export type HttpHandler = (req: HttpRequest, res: HttpResponse) => void;

export type SendStatus = 'sent' | 'buffered' | 'dropped';

/** One WebSocket connection. */
export interface WsPeer {
  send(data: Uint8Array | string, binary: boolean): SendStatus;
  /** Bytes queued in user space waiting for the kernel. */
  bufferedAmount(): number;
  /** Runs `fn` with writes batched into one syscall. */
  cork(fn: () => void): void;
  /** Sends a close frame and closes. */
  end(code: number, reason: string): void;
  /**
   * Joins a topic of the transport's native fan-out (Transport.publish). What is published after
   * this call reaches the socket; what was published before does not.
   */
  subscribe(topic: string): void;
  /** Leaves a topic: what was published before this call is still delivered, nothing after it. */
  unsubscribe(topic: string): void;
  readonly closed: boolean;
}

/** What the transport calls for a connection's lifetime. */
export interface WsConnectionHandler {
  onMessage(data: ArrayBuffer, isBinary: boolean): void;
  /** Backpressure drained (bufferedAmount went down). */
  onDrain(): void;
  /**
   * The connection closed. `heldForMs`: how long the transport may still hold the socket's unsent
   * bytes in memory (an ended socket sends its buffer, then the close frame, or is dropped after at
   * most this long); 0 when the connection is gone and its buffer freed.
   */
  onClose(code: number, reason: string, heldForMs: number): void;
}

export interface WsRoute {
  readonly path: string;
  /** Largest client frame; bigger ones close the connection (1009). */
  readonly maxMessageBytes: number;
  /** Hard ceiling of per-socket buffered bytes inside the library (the hub enforces its own, lower). */
  readonly maxBackpressureBytes: number;
  readonly idleTimeoutS: number;
  /** Called on upgrade with the raw query string; returns the connection's handler. */
  open(peer: WsPeer, query: string): WsConnectionHandler;
}

export interface TransportOptions {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  /** Headers to keep from each HTTP request (lower-case). */
  readonly headers: readonly string[];
  readonly http: HttpHandler;
  readonly ws: readonly WsRoute[];
  /** Host headers to answer; others get 403 `host_not_allowed`, HTTP and WebSocket upgrades alike. */
  readonly hostAllowed?: (hostHeader: string) => boolean;
}

export interface Transport {
  /** The port actually bound (differs from the option when it was 0). */
  readonly port: number;
  /** Stops accepting new connections; open ones keep working. */
  stopListening(): void;
  /**
   * Sends `data` to every socket subscribed to `topic`, inside the library (one call, however many
   * subscribers). Per socket, published frames and its own sends keep the order of the calls.
   * The library drops a frame for a socket over its hard backpressure ceiling
   * (WsRoute.maxBackpressureBytes) without telling anyone: callers keep subscribers well below it.
   */
  publish(topic: string, data: Uint8Array, binary: boolean): void;
  /** Closes every WebSocket with `code`/`reason`. */
  closeAllWebSockets(code: number, reason: string): void;
  /** Ends every streamed HTTP answer (SSE): before a stop closes connections, so clients see an orderly end. */
  endAllStreams(): void;
  /** Closes every connection still open (idle HTTP keep-alive ones included): the end of a stop. */
  close(): void;
  readonly webSocketCount: number;
  /** Streamed HTTP answers open now. */
  readonly streamCount: number;
}
