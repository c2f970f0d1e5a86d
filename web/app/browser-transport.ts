import type { SocketLike, Transport } from '../sync/transport.js';

/**
 * The real browser APIs behind the sync algorithm's Transport. Typed assignments (no casts), so a
 * change to the Transport shape that the browser cannot satisfy fails `npm run typecheck:web`.
 */
export function browserTransport(): Transport {
  return {
    fetch: (url) => fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' }),
    openSocket: (url): SocketLike => new WebSocket(url),
    clock: {
      setTimeout: (callback, ms) => window.setTimeout(callback, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    },
    random: Math.random,
  };
}

/** `/ws/market` on the page's own host, over wss when the page came over https. */
export function marketSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws/market`;
}
