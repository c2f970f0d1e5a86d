import { candleCount, packCandles, parseCandle } from '../../../domain/candle.js';
import { sortDedupeByTime } from '../../../domain/candle-batch.js';
import { parseSeriesId } from '../../../domain/series-id.js';
import { badRequest } from '../../../shared/errors.js';
import type { ScrollBack } from '../../holes/scroll-back.js';
import type { CandleReader } from '../../hub/candle-reader.js';
import type { Candle } from '../../../domain/candle.js';
import type { CachedRead } from '../../hub/series-tail.js';
import { candlesArrayJson, candlesArrayPieces, type CandleJsonFragment } from '../../../protocol/candle-json.js';
import type { MarketStore } from '../../store/market-store.js';
import { JSON_HEADERS, jsonReply, type Route } from '../http-router.js';
import { optionalInt, required } from './query-params.js';

/** Bounds of `GET /api/market/candles` and the dev batch (contract §2). */
export const MAX_READ_LIMIT = 5000;
export const DEFAULT_READ_LIMIT = 500;
export const MAX_DEV_BATCH = 20_000;

export interface MarketRouteDeps {
  readonly reader: CandleReader;
  /** `before=` reads: the store, then the exchange for what it lacks. */
  readonly scrollBack: Pick<ScrollBack, 'read'>;
  readonly store: MarketStore;
  /** Where the forming route's candles go: the hub, or the bus that reaches every node's hub. */
  readonly forming: { publishForming(seriesId: string, candle: Candle): unknown };
  readonly whitelist: () => readonly string[];
  readonly devApi: () => boolean;
  readonly debugApi: () => boolean;
}

export function marketRoutes(deps: MarketRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/api/market/candles',
      handle({ query }) {
        const series = parseSeriesId(required(query.get('series_id'), 'series_id'));
        const since = optionalInt(query.get('since'), 'since', 0, Number.MAX_SAFE_INTEGER);
        const before = optionalInt(query.get('before'), 'before', 0, Number.MAX_SAFE_INTEGER);
        const limit = optionalInt(query.get('limit'), 'limit', 1, MAX_READ_LIMIT) ?? DEFAULT_READ_LIMIT;
        if (before !== null) {
          if (since !== null) throw badRequest('since and before cannot be combined');
          // Scroll-back (issue 11): additive, so a client that never sends `before` sees no change.
          return deps.scrollBack.read(series.raw, before, limit).then((read) => ({
            status: 200,
            body: candlesResponse(series.raw, { data: read.data, from: 0, to: candleCount(read.data), head: read.head }),
            headers: JSON_HEADERS,
          }));
        }
        const body = deps.reader.body(series.raw, since, limit, (read, fragments) => candlesResponse(series.raw, read, fragments));
        // Cached reads answer synchronously; the rest wait for the tail load or the writer.
        return body instanceof Promise ? body.then((b) => ({ status: 200, body: b, headers: JSON_HEADERS })) : { status: 200, body, headers: JSON_HEADERS };
      },
    },
    {
      method: 'POST',
      path: '/api/market/ingest/candle_closed',
      auth: true,
      async handle(ctx) {
        const { seriesId, candle } = seriesAndCandle(await ctx.json());
        // Resolves after the commit and after the hub published it (contract §2).
        await deps.store.write([{ seriesId, data: packCandles([candle]) }], { publish: true });
        return jsonReply(200, { ok: true, series_id: seriesId, candle_time: candle.candle_time });
      },
    },
    {
      method: 'POST',
      path: '/api/dev/market/ingest/candles_closed_batch',
      auth: true,
      enabled: deps.devApi,
      async handle(ctx) {
        const body = object(await ctx.json());
        const seriesId = parseSeriesId(required(body.series_id, 'series_id')).raw;
        if (!Array.isArray(body.candles) || body.candles.length < 1 || body.candles.length > MAX_DEV_BATCH) {
          throw badRequest(`candles must be an array of 1..${MAX_DEV_BATCH} candles`);
        }
        const publish = body.publish_ws ?? false;
        if (typeof publish !== 'boolean') throw badRequest('publish_ws must be a boolean');
        const data = sortDedupeByTime(packCandles(body.candles.map((c, i) => parseCandle(c, `candles[${i}]`))));
        const count = data.length / 6;
        const first = data[0]!;
        const last = data[(count - 1) * 6]!;
        await deps.store.write([{ seriesId, data }], { publish });
        return jsonReply(200, { ok: true, series_id: seriesId, count, first_candle_time: first, last_candle_time: last });
      },
    },
    {
      method: 'POST',
      path: '/api/market/ingest/candle_forming',
      auth: true,
      enabled: deps.debugApi,
      async handle(ctx) {
        const { seriesId, candle } = seriesAndCandle(await ctx.json());
        deps.forming.publishForming(seriesId, candle); // broadcast only, never stored (contract §4)
        return jsonReply(200, { ok: true, series_id: seriesId, candle_time: candle.candle_time });
      },
    },
    {
      method: 'GET',
      path: '/api/market/whitelist',
      handle: () => jsonReply(200, { series_ids: deps.whitelist() }),
    },
  ];
}

/** `{"series_id","server_head_time","candles"}`, encoded without building candle objects. */
export function candlesResponse(seriesId: string, read: CachedRead, fragments?: readonly CandleJsonFragment[]): Buffer {
  const head = `{"series_id":${JSON.stringify(seriesId)},"server_head_time":${read.head},"candles":`;
  if (fragments === undefined || fragments.length === 0) return Buffer.from(`${head}${candlesArrayJson(read.data, read.from, read.to)}}`, 'utf8');
  // Text made earlier joins as bytes (a first read's 2,000 candles: one copy, no string to flatten).
  const pieces = candlesArrayPieces(read.data, read.from, read.to, fragments);
  pieces[0] = head + (pieces[0] as string);
  pieces[pieces.length - 1] = `${pieces[pieces.length - 1] as string}}`;
  return Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

function seriesAndCandle(value: unknown) {
  const body = object(value);
  const seriesId = parseSeriesId(required(body.series_id, 'series_id')).raw;
  return { seriesId, candle: parseCandle(body.candle) };
}

function object(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('body must be a JSON object');
  return value as Record<string, unknown>;
}
