import { bool, host, int, num, oneOf, str } from './setting-kinds.js';
import { MIB, setting } from './setting-spec.js';

/** Settings of the HTTP/WS server: where it listens, tokens, dev and debug routes. */
export const SERVER_SETTINGS = {
  host: setting('server', 'HOST', host('127.0.0.1'), 'Interface the HTTP/WS server listens on.'),
  port: setting('server', 'PORT', int(8000, 0, 65535), 'TCP port; 0 picks a free port (printed at start-up).'),
  apiToken: setting('server', 'API_TOKEN', str('', 'any text; empty = no token'), 'When set, write and debug routes need `Authorization: Bearer <token>`.'),
  enableDevApi: setting('server', 'ENABLE_DEV_API', bool(false), 'Enables `POST /api/dev/market/ingest/candles_closed_batch`.'),
  enableDebugApi: setting(
    'server',
    'ENABLE_DEBUG_API',
    bool(false),
    'Enables the forming-candle ingest route, `GET /api/market/debug/ingest_state`, `…/debug/series_health` and `GET /api/market/health`.',
  ),
  maxBodyBytes: setting(
    'server',
    'MAX_BODY_BYTES',
    int(4 * MIB, 1024, 256 * MIB),
    'Largest accepted HTTP request body (413 above it); the default fits a 20,000-candle batch.',
  ),
  logLevel: setting('server', 'LOG_LEVEL', oneOf('info', ['debug', 'info', 'warn', 'error', 'silent'] as const), 'Log verbosity (JSON lines on stdout).'),
  corsOrigins: setting(
    'server',
    'CORS_ORIGINS',
    str('http://localhost:5173,http://127.0.0.1:5173', 'comma-separated origins, or *'),
    "Browser origins allowed to call the HTTP API (trade_canvas's dev frontend by default).",
  ),
  allowedHosts: setting(
    'server',
    'ALLOWED_HOSTS',
    str('', 'comma-separated host names or IPs, or *; empty = automatic'),
    'Host headers answered (DNS rebinding): empty = only loopback names when bound to loopback, any otherwise.',
  ),
  shutdownTimeoutS: setting(
    'server',
    'SHUTDOWN_TIMEOUT_S',
    num(10, 0.1, 600),
    'Longest a graceful stop may take before the process exits anyway (exit code 1).',
  ),
} as const;
