import { createRequire } from 'node:module';
import type * as UwsTypes from 'uWebSockets.js';
import type { SendStatus, Transport, TransportOptions, WsConnectionHandler, WsPeer } from './transport.js';
import { readRequest, STATUS_TEXT, UwsHttpResponse, type UwsHttpStream } from './uws-http-response.js';

/**
 * The only module that imports uWebSockets.js (architecture.md). It adapts uWS to transport.ts.
 *
 * The package (an npm republish of uWS) silently falls back to a slow pure-JS server when its
 * native binary does not load. A gateway, or a benchmark, running on that fallback would be
 * quietly wrong, so we refuse to start unless the native binary is what got loaded.
 */
const require = createRequire(import.meta.url);
const uws = loadNativeUws();

function loadNativeUws(): typeof UwsTypes {
  if (/^(1|true)$/i.test(process.env.UWS_USE_FALLBACK ?? '')) {
    throw new Error('UWS_USE_FALLBACK is set: kline-gateway runs only on the native uWebSockets.js binary; unset it');
  }
  const lib = require('uWebSockets.js') as typeof UwsTypes;
  const native = Object.keys(require.cache).some((path) => /[\\/]uws_[^\\/]+\.node$/.test(path));
  if (!native) {
    throw new Error(
      `uWebSockets.js could not load its native binary for ${process.platform}-${process.arch} (Node ABI ${process.versions.modules}) ` +
        'and fell back to its pure-JS server; refusing to run on the fallback. Use Node 20 on glibc >= 2.36 (see README).',
    );
  }
  return lib;
}

/** Frames above this are cut by uWS itself (1006); below it, over the route limit, we close with 1009. */
const MESSAGE_CEILING_BYTES = 16 * 1024 * 1024;

const SEND_STATUS: readonly SendStatus[] = ['buffered', 'sent', 'dropped'];

/**
 * uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT. By default uWS sets SO_REUSEPORT on a fixed port, so on
 * Linux a second gateway on a port in use starts without error and the kernel splits clients
 * between the two. Exclusive keeps "address in use" an error; SO_REUSEADDR stays on, so a restart
 * can rebind while the old process's connections linger.
 */
const LISTEN_EXCLUSIVE_PORT = 1;

/** uSockets checks socket timeouts on a 4-second tick (LIBUS_TIMEOUT_GRANULARITY). */
const TIMEOUT_TICK_S = 4;

/**
 * How long uWS may keep a socket after `end()`: the close frame waits behind the backlog, and the
 * socket's timeout is re-armed to the "ping timeout" margin, 4, 8 or 16 s by the idle timeout
 * (WebSocketContextData::calculateIdleTimeoutCompnents, WebSocket::end), checked every tick. Until
 * then its backlog is memory the process holds.
 */
export function endedSocketHeldMs(idleTimeoutS: number): number {
  let margin = 4;
  while (idleTimeoutS - margin * 2 >= margin * 2 && margin < 16) margin *= 2;
  return (margin + TIMEOUT_TICK_S) * 1000;
}

/** uWS reports a connection that went away without a close handshake as 1006; its socket is freed then. */
const ABRUPT_CLOSE_CODE = 1006;

/** The native listen also takes (host, port, options, cb); the package's typings omit that overload. */
type ListenWithOptions = (host: string, port: number, options: number, cb: (token: UwsTypes.us_listen_socket | false) => void) => unknown;

interface SocketData {
  query: string;
  handler?: WsConnectionHandler;
  peer?: UwsPeer;
}

/**
 * A topic every socket that uses topics stays subscribed to, never published. In this uWS build
 * (v20.30) unsubscribing from a socket's last topic frees its subscriber record, and with it the
 * frames published to it that the loop has not written yet: a leave would lose them. Holding
 * this one topic keeps the record, so a leave keeps what was published before it
 * (test/main/server/uws-topics.test.ts). Later uWS versions keep the record themselves.
 */
const ANCHOR_TOPIC = 'anchor'; // hub topics are named t1, t2, …

class UwsPeer implements WsPeer {
  closed = false;
  private anchored = false;
  constructor(private readonly ws: UwsTypes.WebSocket<SocketData>) {}
  send(data: Uint8Array | string, binary: boolean): SendStatus {
    if (this.closed) return 'dropped';
    return SEND_STATUS[this.ws.send(data, binary)] ?? 'dropped';
  }
  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }
  cork(fn: () => void): void {
    if (this.closed) return;
    this.ws.cork(fn);
  }
  end(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.end(code, reason);
  }
  subscribe(topic: string): void {
    if (this.closed) return;
    if (!this.anchored) {
      this.ws.subscribe(ANCHOR_TOPIC);
      this.anchored = true;
    }
    this.ws.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    if (!this.closed) this.ws.unsubscribe(topic);
  }
}

export function startUwsTransport(options: TransportOptions): Promise<Transport> {
  const app = uws.App();
  const sockets = new Set<UwsPeer>();
  const streams = new Set<UwsHttpStream>();

  const hostAllowed = options.hostAllowed ?? (() => true);
  app.any('/*', (res, req) => {
    if (!hostAllowed(req.getHeader('host'))) return refuseHost(res, req);
    const framing = framingProblem(req);
    if (framing) {
      // Two lengths for one body is a request-smuggling shape (RFC 9112 §6.3): refuse it and end
      // the connection, since where the next request starts is unknowable.
      refuse(res, 400, 'bad_request', framing);
      return;
    }
    const request = readRequest(res, req, options);
    const response = new UwsHttpResponse(res, streams);
    res.onAborted(() => {
      response.abort();
      request.abort();
    });
    options.http(request, response);
  });

  for (const route of options.ws) {
    const endedHeldMs = endedSocketHeldMs(route.idleTimeoutS);
    app.ws<SocketData>(route.path, {
      // uWS cuts a connection abruptly (1006) past maxPayloadLength; the contract wants a 1009
      // close frame, so uWS gets a higher ceiling and we enforce the real limit in `message`.
      maxPayloadLength: Math.max(MESSAGE_CEILING_BYTES, route.maxMessageBytes * 4),
      maxBackpressure: route.maxBackpressureBytes,
      closeOnBackpressureLimit: 0, // never drop silently: the hub closes slow consumers itself (1008)
      idleTimeout: route.idleTimeoutS,
      sendPingsAutomatically: true,
      compression: uws.DISABLED,
      upgrade: (res, req, context) => {
        if (!hostAllowed(req.getHeader('host'))) return refuseHost(res, req);
        res.upgrade<SocketData>(
          { query: req.getQuery() ?? '' },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        const data = ws.getUserData();
        const peer = new UwsPeer(ws);
        data.peer = peer;
        sockets.add(peer);
        data.handler = route.open(peer, data.query);
      },
      message: (ws, message, isBinary) => {
        if (message.byteLength > route.maxMessageBytes) {
          ws.end(1009, 'message_too_big');
          return;
        }
        ws.getUserData().handler?.onMessage(message, isBinary);
      },
      drain: (ws) => ws.getUserData().handler?.onDrain(),
      close: (ws, code, message) => {
        const data = ws.getUserData();
        if (data.peer) {
          data.peer.closed = true;
          sockets.delete(data.peer);
        }
        // Every close but an abrupt one went through end() (ours, or echoing the client's close frame).
        const heldForMs = code === ABRUPT_CLOSE_CODE ? 0 : endedHeldMs;
        data.handler?.onClose(code, Buffer.from(message).toString('utf8'), heldForMs);
      },
    });
  }

  return new Promise((resolve, reject) => {
    (app.listen as unknown as ListenWithOptions).call(app, options.host, options.port, LISTEN_EXCLUSIVE_PORT, (token) => {
      if (!token) {
        reject(new Error(`cannot listen on ${options.host}:${options.port} (address in use or not available)`));
        return;
      }
      let listening: UwsTypes.us_listen_socket | null = token;
      resolve({
        port: uws.us_socket_local_port(token as unknown as UwsTypes.us_socket),
        stopListening() {
          if (listening) uws.us_listen_socket_close(listening);
          listening = null;
        },
        closeAllWebSockets(code, reason) {
          for (const peer of [...sockets]) peer.end(code, reason);
        },
        publish(topic, data, binary) {
          // uWS v20: small frames are queued per subscriber and written when the event loop turns
          // (or before that socket's next own send, which keeps per-socket order); frames of 16 KiB
          // and more are written to each subscriber at once. Compression is off on every route.
          app.publish(topic, data, binary, false);
        },
        endAllStreams() {
          for (const stream of [...streams]) stream.end();
        },
        close() {
          listening = null;
          // The native App has close() (listen sockets and every connection); the typings omit it.
          (app as unknown as { close(): void }).close();
        },
        get webSocketCount() {
          return sockets.size;
        },
        get streamCount() {
          return streams.size;
        },
      });
    });
  });
}

/** Answers an error the router never sees (the request is not one we route) and ends the connection. */
function refuse(res: UwsTypes.HttpResponse, status: number, code: string, message: string): void {
  res.cork(() =>
    res
      .writeStatus(STATUS_TEXT[status] ?? `${status} Status`)
      .writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ code, message }), true),
  );
}

function refuseHost(res: UwsTypes.HttpResponse, req: UwsTypes.HttpRequest): void {
  refuse(res, 403, 'host_not_allowed', `host not allowed: ${req.getHeader('host')} (TRADE_CANVAS_ALLOWED_HOSTS)`);
}

/** Conflicting Content-Length headers (uWS would silently use the first), else null. */
function framingProblem(req: UwsTypes.HttpRequest): string | null {
  const method = req.getCaseSensitiveMethod().toUpperCase();
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') return null;
  let first: string | null = null;
  let conflict = false;
  req.forEach((name, value) => {
    if (name !== 'content-length') return;
    if (first === null) first = value.trim();
    else if (value.trim() !== first) conflict = true;
  });
  return conflict ? 'conflicting Content-Length headers' : null;
}
