import { monotonicMs } from '../../shared/clock.js';
import { GatewayError } from '../../shared/errors.js';
import type { HttpRequest, HttpResponse, HttpStream, TransportOptions } from './transport.js';

/**
 * The HTTP half of the uWS adapter: requests copied out of uWS's stack-allocated objects, plain
 * and streamed (SSE) answers. uws-transport.ts is the only module that loads uWebSockets.js; this
 * one only names its types (erased at build time).
 */

export const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  204: '204 No Content',
  304: '304 Not Modified',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
};

/**
 * The part of uWS's response and request objects this file uses, so that uws-transport.ts stays
 * the one module that sees uWebSockets.js (its objects satisfy these shapes structurally).
 */
export interface NativeResponse {
  cork(work: () => void): unknown;
  writeStatus(status: string): unknown;
  writeHeader(name: string, value: string): unknown;
  write(chunk: string): boolean;
  end(body?: Buffer | string, closeConnection?: boolean): unknown;
  onWritable(handler: (offset: number) => boolean): unknown;
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): unknown;
  getRemoteAddressAsText(): ArrayBuffer;
}

export interface NativeRequest {
  getCaseSensitiveMethod(): string;
  getUrl(): string;
  getQuery(): string | undefined;
  getHeader(lowerCaseName: string): string;
}

export class UwsHttpResponse implements HttpResponse {
  aborted = false;
  readonly startedAtMs = monotonicMs();
  private done = false;
  private streamed: UwsHttpStream | null = null;
  constructor(
    private readonly res: NativeResponse,
    private readonly streams: Set<UwsHttpStream>,
  ) {}
  respond(status: number, headers: Readonly<Record<string, string>>, body: Buffer | string, closeConnection = false): void {
    if (this.aborted || this.done) return;
    this.done = true;
    this.res.cork(() => {
      this.res.writeStatus(STATUS_TEXT[status] ?? `${status} Status`);
      for (const name in headers) this.res.writeHeader(name, headers[name]!);
      this.res.end(body, closeConnection);
    });
  }
  stream(status: number, headers: Readonly<Record<string, string>>): HttpStream | null {
    if (this.aborted || this.done) return null;
    this.done = true;
    this.res.cork(() => {
      this.res.writeStatus(STATUS_TEXT[status] ?? `${status} Status`);
      for (const name in headers) this.res.writeHeader(name, headers[name]!);
    });
    this.streamed = new UwsHttpStream(this.res, this.streams);
    return this.streamed;
  }
  abort(): void {
    this.aborted = true;
    this.streamed?.aborted();
  }
}

/**
 * A chunked answer kept open (SSE). uWS queues every chunk `write` accepts (false only reports
 * backpressure), so the stream's owner bounds what it writes while `writable` is false. The
 * uWS response must not be touched after `end` or abort: `closed` guards every call.
 */
export class UwsHttpStream implements HttpStream {
  closed = false;
  writable = true;
  private readonly writableListeners: Array<() => void> = [];
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly res: NativeResponse,
    private readonly registry: Set<UwsHttpStream>,
  ) {
    registry.add(this);
    res.onWritable(() => {
      this.writable = true;
      for (const listener of this.writableListeners) listener();
      return true; // write() queued everything already: nothing is left to retry here
    });
  }

  write(chunk: string): boolean {
    if (this.closed) return false;
    let ok = false;
    this.res.cork(() => (ok = this.res.write(chunk)));
    if (!ok) this.writable = false;
    return ok;
  }

  onWritable(listener: () => void): void {
    this.writableListeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.registry.delete(this);
    this.res.cork(() => this.res.end());
  }

  /** The client went away (uWS onAborted): the response is gone. */
  aborted(): void {
    if (this.closed) return;
    this.closed = true;
    this.registry.delete(this);
    for (const listener of this.closeListeners) listener();
  }
}

export interface UwsRequest extends HttpRequest {
  abort(): void;
}

/** Copies what we need out of uWS's request object, which is only valid during the callback. */
export function readRequest(res: NativeResponse, req: NativeRequest, options: TransportOptions): UwsRequest {
  const method = req.getCaseSensitiveMethod().toUpperCase();
  const path = req.getUrl();
  const query = req.getQuery() ?? '';
  const headers = new Map<string, string>();
  for (const name of options.headers) {
    const value = req.getHeader(name);
    if (value) headers.set(name, value);
  }
  let body: Promise<Buffer> | null = null;
  let abort = () => undefined as void;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    // uWS requires onData to be attached before the handler returns.
    body = readBody(res, Number(req.getHeader('content-length') || '0'), options.maxBodyBytes, (a) => (abort = a));
    body.catch(() => undefined);
  }
  const remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString('utf8');
  return {
    method,
    path,
    query,
    remoteAddress,
    header: (name) => headers.get(name) ?? '',
    body: () => body ?? Promise.resolve(Buffer.alloc(0)),
    abort: () => abort(),
  };
}

/**
 * How much of an oversized body we read and discard before answering 413. Closing a connection
 * while the client is still sending makes the kernel reset it, and the client then reports a
 * network error instead of reading the 413; so the rest of the body is drained first, up to this
 * many bytes past the limit (beyond it the client gets the reset: we will not read gigabytes).
 */
const MAX_DISCARD_BYTES = 32 * 1024 * 1024;

function readBody(res: NativeResponse, declared: number, limit: number, onAbort: (abort: () => void) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new GatewayError('payload_too_large', `request body exceeds ${limit} bytes`);
    onAbort(() => reject(new GatewayError('bad_request', 'request aborted')));
    if (declared - limit > MAX_DISCARD_BYTES) {
      reject(tooLarge());
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    res.onData((chunk, isLast) => {
      if (settled) return;
      size += chunk.byteLength;
      if (size > limit) {
        chunks = []; // over the limit: discard, answer once the client has sent it all
        if (isLast || size - limit > MAX_DISCARD_BYTES) {
          settled = true;
          reject(tooLarge());
        }
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0))); // the chunk's memory is reused after this callback
      if (isLast) {
        settled = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      }
    });
  });
}
