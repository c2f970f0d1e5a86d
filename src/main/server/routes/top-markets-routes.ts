import type { LiveMarket } from '../../../domain/series-id.js';
import { badRequest, GatewayError } from '../../../shared/errors.js';
import type { MarketServices } from '../../market/market-services.js';
import { jsonReply, type Route } from '../http-router.js';
import { optionalBool, optionalInt, optionalNumber, required } from './query-params.js';

/** Bounds of the market list (contract §5, trade_canvas's query validation). */
export const MAX_TOP_MARKETS_LIMIT = 200;
const DEFAULT_TOP_MARKETS_LIMIT = 20;
const DEFAULT_INTERVAL_S = 2;
const INTERVAL_S_RANGE = [0.2, 30] as const;
const MAX_EVENTS = 1000;
const QUOTE_ASSET = /^[A-Za-z0-9]{1,12}$/;

interface ListQuery {
  readonly market: LiveMarket;
  readonly quote: string;
  readonly limit: number;
}

/** exchange, market, quote_asset, limit: the part both routes share. */
function listQuery(query: URLSearchParams): ListQuery {
  const market = required(query.get('market'), 'market');
  if (market !== 'spot' && market !== 'futures') throw badRequest('invalid market (spot or futures)');
  const quote = (query.get('quote_asset') ?? 'USDT').trim();
  if (!QUOTE_ASSET.test(quote)) throw badRequest('invalid quote_asset');
  const limit = optionalInt(query.get('limit'), 'limit', 1, MAX_TOP_MARKETS_LIMIT) ?? DEFAULT_TOP_MARKETS_LIMIT;
  // After the parameters' own checks, as trade_canvas answers it.
  if ((query.get('exchange') ?? 'binance') !== 'binance') throw badRequest('unsupported exchange');
  return { market, quote: quote.toUpperCase(), limit };
}

/**
 * `GET /api/market/top_markets` and `GET /api/market/top_markets/stream` (contract §5): the
 * exchange's most traded symbols of a quote asset, from one shared cache of its 24h tickers.
 */
export function topMarketsRoutes(markets: MarketServices): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/market/top_markets',
      async handle({ query, req }) {
        const q = listQuery(query);
        const force = optionalBool(query.get('force'), 'force') ?? false;
        // Per client and market, as trade_canvas keys it (the peer address).
        if (force && !markets.forceLimiter.allow(`${req.remoteAddress}:${q.market}`)) throw new GatewayError('rate_limited', 'rate_limited');
        const ranking = await markets.list.rank(q.market, q.quote, force);
        return jsonReply(200, markets.list.page(q.market, q.quote, q.limit, ranking));
      },
    },
    {
      method: 'GET',
      path: '/api/market/top_markets/stream',
      handle({ query }) {
        const q = listQuery(query);
        const intervalS = optionalNumber(query.get('interval_s'), 'interval_s', ...INTERVAL_S_RANGE) ?? DEFAULT_INTERVAL_S;
        const maxEvents = optionalInt(query.get('max_events'), 'max_events', 0, MAX_EVENTS) ?? 0;
        markets.streams.admit();
        return {
          status: 200,
          body: '',
          // X-Accel-Buffering: nginx must not buffer the stream (trade_canvas sends it too).
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
          stream: (out) => markets.streams.open(out, q.market, q.quote, { limit: q.limit, intervalMs: intervalS * 1000, maxEvents }),
        };
      },
    },
  ];
}
