import type { Logger } from '../../shared/log.js';
import { isLoopbackName as isLoopbackHost } from './host-allow-list.js';
import type { Route } from './http-router.js';

/**
 * Issue 15: with no TRADE_CANVAS_API_TOKEN every write route accepts anyone who can reach the
 * port. That is the intended default on loopback (a desktop chart, the demo); on any other
 * address (0.0.0.0, a LAN IP) say so once at start-up, naming the routes and the fix.
 */
export function warnIfWritesOpen(log: Logger, settings: { host: string; apiToken: string }, routes: readonly Route[]): boolean {
  if (settings.apiToken !== '' || isLoopbackHost(settings.host)) return false;
  const writes = routes.filter((r) => r.method !== 'GET' && (!r.enabled || r.enabled())).map((r) => `${r.method} ${r.path}`);
  if (writes.length === 0) return false;
  log.warn('write routes are open without a token on a non-loopback address; set TRADE_CANVAS_API_TOKEN', { host: settings.host, routes: writes });
  return true;
}
