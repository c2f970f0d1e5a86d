import { GatewayError } from '../../shared/errors.js';
import type { HttpRequest } from './transport.js';

/** Methods the gateway serves; a preflight answers with these for any path. */
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** How long a browser may cache a preflight answer (Starlette's default, as trade_canvas). */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * CORS as trade_canvas's middleware does it (Starlette CORSMiddleware with `allow_credentials`,
 * every method and header allowed), and the cross-site write check of issue 15:
 *
 * - An allowed origin gets `Access-Control-Allow-Origin: <origin>` and
 *   `Access-Control-Allow-Credentials: true` on every answer; a disallowed one gets no CORS header.
 * - A preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) is answered before
 *   routing, for any path: 204 with the requested headers echoed for an allowed origin, 403
 *   `origin_not_allowed` for another.
 * - A write (any method but GET/HEAD/OPTIONS) that carries an `Origin` must come from an allowed
 *   origin or from the gateway's own (same host): otherwise any page the operator visits could
 *   POST candles with a plain form. Clients that send no `Origin` (curl, services) are not browsers
 *   and are not affected.
 *
 * `*` in the list allows every origin; the origin is then echoed (credentials forbid a literal `*`).
 */
export class CorsPolicy {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.anyOrigin = origins.includes('*');
    this.origins = new Set(origins.map(normalizeOrigin));
  }

  /** The setting's text (comma-separated origins, or `*`). */
  static fromSetting(text: string): CorsPolicy {
    return new CorsPolicy(
      text
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    );
  }

  allows(origin: string): boolean {
    return this.anyOrigin || this.origins.has(normalizeOrigin(origin));
  }

  /** Headers for an answer to `req`, or null (no `Origin`, or one not allowed). */
  headersFor(req: HttpRequest): Record<string, string> | null {
    const origin = req.header('origin');
    if (!origin || !this.allows(origin)) return null;
    return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' };
  }

  isPreflight(req: HttpRequest): boolean {
    return req.method === 'OPTIONS' && req.header('origin') !== '' && req.header('access-control-request-method') !== '';
  }

  /** Status and headers of the answer to a preflight. */
  preflight(req: HttpRequest): { status: number; headers: Record<string, string> } | GatewayError {
    const cors = this.headersFor(req);
    if (!cors) return new GatewayError('origin_not_allowed', `origin ${req.header('origin')} is not allowed (TRADE_CANVAS_CORS_ORIGINS)`);
    const requested = req.header('access-control-request-headers');
    return {
      status: 204,
      headers: {
        ...cors,
        'access-control-allow-methods': ALLOWED_METHODS,
        ...(requested ? { 'access-control-allow-headers': requested } : {}),
        'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
      },
    };
  }

  /** Why a write must be refused (cross-site), or null when it may go on. */
  refuseWrite(req: HttpRequest): GatewayError | null {
    const origin = req.header('origin');
    if (!origin || this.allows(origin) || sameHost(origin, req.header('host'))) return null;
    return new GatewayError('origin_not_allowed', `writes from origin ${origin} are not allowed; add it to TRADE_CANVAS_CORS_ORIGINS`);
  }
}

/** Origins compare case-insensitively in scheme and host, without a trailing slash. */
function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/** A page served by the gateway itself (Origin's host:port equals the Host header). */
function sameHost(origin: string, host: string): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // `null` (sandboxed frames, file://) or junk: never the gateway's own page
  }
}
