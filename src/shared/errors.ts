/**
 * One error type with stable codes (fastify/undici style). The code, not the message, is the
 * contract: clients branch on `code`; docs/protocol.md lists every code.
 *
 * Errors that cross threads lose their class (structured clone keeps name/message/stack only), so
 * `toWire` / `fromWire` carry the code explicitly.
 */

export const ERROR_CODES = {
  bad_request: 400,
  unauthorized: 401,
  origin_not_allowed: 403,
  host_not_allowed: 403,
  not_found: 404,
  unknown_symbol: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  upstream_error: 502,
  capacity: 503,
  overloaded: 503,
  shutting_down: 503,
  unavailable: 503,
  store_failed: 500,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.status = ERROR_CODES[code];
  }
}

export function badRequest(message: string): GatewayError {
  return new GatewayError('bad_request', message);
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

/** The shape an error takes on a MessagePort or in a comlink rejection. */
export interface WireError {
  code: ErrorCode;
  message: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof GatewayError) return { code: err.code, message: err.message };
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' && err.code in ERROR_CODES) {
    return { code: err.code as ErrorCode, message: String((err as { message?: unknown }).message ?? '') };
  }
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export function fromWire(wire: WireError): GatewayError {
  return new GatewayError(wire.code in ERROR_CODES ? wire.code : 'internal', wire.message);
}

/** Human-readable text of any thrown value, for logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
