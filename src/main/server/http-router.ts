import { timingSafeEqual } from 'node:crypto';
import { GatewayError, isGatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { CorsPolicy } from './cors.js';
import type { HttpRequest, HttpResponse, HttpStream } from './transport.js';

const log = createLogger('http');

export interface Reply {
  readonly status: number;
  readonly body: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * A streamed answer (Server-Sent Events): status and headers go out, then `stream` writes the
   * body for as long as it likes; `body` is ignored.
   */
  readonly stream?: (out: HttpStream) => void;
}

export interface RouteContext {
  readonly req: HttpRequest;
  /** Parsed query string. */
  readonly query: URLSearchParams;
  /** The body parsed as JSON: 415 unless sent as `application/json`, 400 `invalid json` otherwise. */
  json(): Promise<unknown>;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Route exists only when this returns true (ENABLE_DEV_API / ENABLE_DEBUG_API): 404 otherwise. */
  readonly enabled?: () => boolean;
  /** Needs `Authorization: Bearer <TRADE_CANVAS_API_TOKEN>` when a token is configured. */
  readonly auth?: boolean;
  /** Metric label; defaults to the path. */
  readonly name?: string;
  handle(ctx: RouteContext): Reply | Promise<Reply>;
}

export interface RouterOptions {
  readonly apiToken: string;
  readonly cors: CorsPolicy;
  /** Called once per answered request (metrics); `startedAtMs` is the response's. */
  readonly onResponse?: (route: string, status: number, startedAtMs: number) => void;
}

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function jsonReply(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value), headers: JSON_HEADERS };
}

export function errorReply(err: GatewayError): Reply {
  return jsonReply(err.status, { code: err.code, message: err.message });
}

/** Headers every request handler may read (the transport copies only these). */
export const REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'content-length',
  'origin',
  'host',
  'if-none-match',
  'access-control-request-method',
  'access-control-request-headers',
];

/** Methods that change nothing: everything else is a write (cross-site check, docs/protocol.md). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Dispatches HTTP requests to routes. Errors become `{"code","message"}` JSON with the code's
 * status (contract §2); anything unexpected is logged and answered 500 `internal` — bad input
 * never reaches that path, and the process never dies of a request.
 */
export class HttpRouter {
  private readonly routes = new Map<string, Map<string, Route>>();
  private readonly token: Buffer | null;

  constructor(private readonly options: RouterOptions) {
    this.token = options.apiToken ? Buffer.from(`Bearer ${options.apiToken}`) : null;
  }

  add(route: Route): this {
    let byMethod = this.routes.get(route.path);
    if (!byMethod) this.routes.set(route.path, (byMethod = new Map()));
    byMethod.set(route.method, route);
    return this;
  }

  readonly handle = (req: HttpRequest, res: HttpResponse): void => {
    // Preflights are answered before routing, for any path (trade_canvas's CORS middleware).
    if (this.options.cors.isPreflight(req)) {
      const answer = this.options.cors.preflight(req);
      return this.send(res, 'preflight', answer instanceof GatewayError ? errorReply(answer) : { status: answer.status, body: '', headers: answer.headers });
    }
    const cors = this.options.cors.headersFor(req);
    // Routes behind a disabled gate do not exist: 404, not 401/405 (contract §2).
    const live = [...(this.routes.get(req.path)?.values() ?? [])].filter((r) => !r.enabled || r.enabled());
    const route = live.find((r) => r.method === req.method);
    if (!route) {
      if (live.length === 0)
        return this.send(res, req.path, withHeaders(errorReply(new GatewayError('not_found', `no route ${req.method} ${req.path}`)), cors));
      const allow = live.map((r) => r.method).join(', ');
      return this.send(
        res,
        req.path,
        withHeaders(errorReply(new GatewayError('method_not_allowed', `${req.method} not allowed; use ${allow}`)), { ...cors, allow }),
      );
    }
    const name = route.name ?? route.path;
    const crossSite = SAFE_METHODS.has(req.method) ? null : this.options.cors.refuseWrite(req);
    if (crossSite) return this.send(res, name, errorReply(crossSite));
    if (route.auth && !this.authorized(req)) {
      return this.send(
        res,
        name,
        withHeaders(errorReply(new GatewayError('unauthorized', 'missing or wrong bearer token')), { ...cors, 'www-authenticate': 'Bearer' }),
      );
    }
    const ctx: RouteContext = {
      req,
      query: new URLSearchParams(req.query),
      json: async () => {
        requireJsonContentType(req);
        return parseJson(await req.body());
      },
    };
    let result: Reply | Promise<Reply>;
    try {
      result = route.handle(ctx);
    } catch (err) {
      return this.fail(res, name, err, cors);
    }
    if (result instanceof Promise) {
      result.then(
        (reply) => this.send(res, name, withHeaders(reply, cors)),
        (err) => this.fail(res, name, err, cors),
      );
    } else {
      this.send(res, name, withHeaders(result, cors));
    }
  };

  private fail(res: HttpResponse, name: string, err: unknown, cors: Record<string, string> | null): void {
    if (isGatewayError(err)) {
      // An unread or oversized body: answer, then drop the connection rather than read the rest.
      const close = err.code === 'payload_too_large';
      return this.send(res, name, withHeaders(errorReply(err), cors), close);
    }
    log.error('request failed', { route: name, error: err });
    this.send(res, name, withHeaders(errorReply(new GatewayError('internal', 'internal error')), cors));
  }

  private send(res: HttpResponse, name: string, reply: Reply, closeConnection = false): void {
    if (reply.stream) {
      const out = res.stream(reply.status, reply.headers ?? {});
      if (out) reply.stream(out);
    } else res.respond(reply.status, reply.headers ?? {}, reply.body, closeConnection);
    this.options.onResponse?.(name, reply.status, res.startedAtMs);
  }

  private authorized(req: HttpRequest): boolean {
    if (!this.token) return true;
    const given = Buffer.from(req.header('authorization'));
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}

function withHeaders(reply: Reply, extra: Record<string, string> | null): Reply {
  return extra ? { ...reply, headers: { ...reply.headers, ...extra } } : reply;
}

/**
 * JSON bodies must say so (issue 15): a cross-site HTML form can send only urlencoded, multipart or
 * text/plain, so requiring `application/json` keeps forms from writing; a browser script that
 * sets it needs a preflight, which CORS answers.
 */
function requireJsonContentType(req: HttpRequest): void {
  const type = req.header('content-type').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new GatewayError('unsupported_media_type', `content-type must be application/json, got ${type === '' ? 'none' : type}`);
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('bad_request', 'invalid json');
  }
}
