import type { Logger } from '../../shared/log.js';
import type { Route } from './http-router.js';

/** Host settings that only this machine can reach. */
function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

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
