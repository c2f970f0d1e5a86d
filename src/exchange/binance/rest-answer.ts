/**
 * Reading the parts of a Binance REST answer other than a 200 body (binance-rest.ts): the
 * Retry-After of a 429/418, the code of an error body, a header undici may give as a list.
 */

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The `code` of a Binance error body (`{"code":-1121,"msg":"Invalid symbol."}`), if it is one. */
export function binanceErrorCode(text: string): number | undefined {
  try {
    const body = JSON.parse(text) as { code?: unknown };
    return typeof body?.code === 'number' ? body.code : undefined;
  } catch {
    return undefined;
  }
}

/** The first value of a header undici may give as a list. */
export function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
