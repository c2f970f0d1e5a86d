import { timingSafeEqual } from 'node:crypto';
import { GatewayError, isGatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { HttpRequest, HttpResponse } from './transport.js';

const log = createLogger('http');

export interface Reply {
  readonly status: number;
  readonly body: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteContext {
  readonly req: HttpRequest;
  /** Parsed query string. */
  readonly query: URLSearchParams;
  /** The body parsed as JSON (400 `invalid json` otherwise). */
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
  readonly corsOrigins: readonly string[];
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
export const REQUEST_HEADERS = ['authorization', 'content-type', 'content-length', 'origin', 'if-none-match', 'access-control-request-headers'];

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
    const cors = this.corsHeaders(req);
    // Routes behind a disabled gate do not exist: 404, not 401/405 (contract §2).
    const live = [...(this.routes.get(req.path)?.values() ?? [])].filter((r) => !r.enabled || r.enabled());
    const route = live.find((r) => r.method === req.method);
    if (!route) {
      if (live.length > 0 && req.method === 'OPTIONS' && cors) return this.send(res, req.path, { status: 204, body: '', headers: preflight(cors, live) });
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
      json: async () => parseJson(await req.body()),
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
    res.respond(reply.status, reply.headers ?? {}, reply.body, closeConnection);
    this.options.onResponse?.(name, reply.status, res.startedAtMs);
  }

  private authorized(req: HttpRequest): boolean {
    if (!this.token) return true;
    const given = Buffer.from(req.header('authorization'));
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  private corsHeaders(req: HttpRequest): Record<string, string> | null {
    const origin = req.header('origin');
    if (!origin) return null;
    const allowed = this.options.corsOrigins;
    if (allowed.includes('*')) return { 'access-control-allow-origin': '*' };
    return allowed.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : null;
  }
}

function withHeaders(reply: Reply, extra: Record<string, string> | null): Reply {
  return extra ? { ...reply, headers: { ...reply.headers, ...extra } } : reply;
}

function preflight(cors: Record<string, string>, routes: readonly Route[]): Record<string, string> {
  return {
    ...cors,
    'access-control-allow-methods': [...routes.map((r) => r.method), 'OPTIONS'].join(', '),
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': '600',
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('bad_request', 'invalid json');
  }
}
