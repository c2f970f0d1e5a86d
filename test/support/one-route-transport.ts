import type { Transport, WsConnectionHandler, WsPeer } from '../../src/main/server/transport.js';
import { startUwsTransport } from '../../src/main/server/uws-transport.js';

export interface OneRouteOptions {
  readonly path: string;
  readonly maxBackpressureBytes: number;
  readonly idleTimeoutS: number;
  /** The handler of each connection (defaults to one that ignores everything). */
  readonly handler?: (peer: WsPeer) => WsConnectionHandler;
}

const IGNORING: WsConnectionHandler = { onMessage: () => undefined, onDrain: () => undefined, onClose: () => undefined };

/**
 * The real uWS transport with one WebSocket route and no HTTP routes (404), for tests of the
 * transport itself: `peer` resolves with the first connection's peer.
 */
export async function startOneRouteTransport(options: OneRouteOptions): Promise<{ transport: Transport; peer: Promise<WsPeer> }> {
  let resolvePeer!: (p: WsPeer) => void;
  const peer = new Promise<WsPeer>((r) => (resolvePeer = r));
  const transport = await startUwsTransport({
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024,
    headers: [],
    http: (_req, res) => res.respond(404, {}, ''),
    ws: [
      {
        path: options.path,
        maxMessageBytes: 1024,
        maxBackpressureBytes: options.maxBackpressureBytes,
        idleTimeoutS: options.idleTimeoutS,
        open(p) {
          resolvePeer(p);
          return options.handler?.(p) ?? IGNORING;
        },
      },
    ],
  });
  return { transport, peer };
}
