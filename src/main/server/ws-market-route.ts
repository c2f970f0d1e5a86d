import type { Config } from '../config/settings.js';
import { ClientSession, type IngestDemand } from '../hub/client-session.js';
import type { MarketHub } from '../hub/market-hub.js';
import { errorFrame, type WireEncoding } from '../../protocol/server-messages.js';
import type { WsConnectionHandler, WsPeer, WsRoute } from './transport.js';

/** Room above the hub's own bound before the socket library itself would drop a frame. */
const LIBRARY_BACKPRESSURE_SLACK_BYTES = 16 * 1024 * 1024;

/** `WS /ws/market` (contract §3): one ClientSession per connection. */
export function wsMarketRoute(config: Config, hub: MarketHub, demand: IngestDemand, sessions: Set<ClientSession>): WsRoute {
  return {
    path: '/ws/market',
    maxMessageBytes: config.wsMaxMessageBytes,
    maxBackpressureBytes: config.wsMaxBufferedBytes * 2 + LIBRARY_BACKPRESSURE_SLACK_BYTES,
    idleTimeoutS: config.wsIdleTimeoutS,
    open(peer: WsPeer, query: string): WsConnectionHandler {
      const requested = new URLSearchParams(query).get('encoding') ?? 'json';
      const encoding: WireEncoding = requested === 'msgpack' ? 'msgpack' : 'json';
      const session = new ClientSession(peer, hub, demand, {
        encoding,
        maxSubscriptions: config.wsMaxSubscriptions,
        maxOndemandSeries: config.wsMaxOndemandSeries,
        limits: { maxBufferedBytes: config.wsMaxBufferedBytes, formingSkipBytes: config.wsFormingSkipBytes },
      });
      sessions.add(session);
      if (requested !== 'json' && requested !== 'msgpack') {
        session.outbox.push(errorFrame('bad_request', `unsupported encoding: ${requested}`));
        hub.flusher.flushAll();
        peer.end(1003, 'unsupported_encoding');
      }
      return {
        onMessage: (data, isBinary) => session.onMessage(data, isBinary),
        onDrain: () => session.onDrain(),
        onClose: (_code, _reason, heldForMs) => {
          sessions.delete(session);
          session.onClose(heldForMs);
        },
      };
    },
  };
}
