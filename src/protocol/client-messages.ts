import { unpack } from 'msgpackr';
import { parseSeriesId, type SeriesId } from '../domain/series-id.js';
import { badRequest } from '../shared/errors.js';

/**
 * Client → server WebSocket messages (contract §3) and their validation. The error messages are
 * trade_canvas's, verbatim: clients match on them.
 */

export interface SubscribeCommand {
  readonly type: 'subscribe';
  readonly series: SeriesId;
  /** null: no `since` (tail catch-up). */
  readonly since: number | null;
  readonly supportsBatch: boolean;
  /** Set: answer with one `snapshot` of this many candles instead of a catch-up. */
  readonly tailLimit: number | null;
}

export interface UnsubscribeCommand {
  readonly type: 'unsubscribe';
  readonly series: SeriesId;
}

export type ClientCommand = SubscribeCommand | UnsubscribeCommand;

/** Largest snapshot a client may ask for (contract §3: `tail_limit` ≤ 5000). */
export const MAX_TAIL_LIMIT = 5000;

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one frame. Text frames are JSON; binary frames are accepted as msgpack (for clients
 * using `?encoding=msgpack` end to end) or UTF-8 JSON. Throws `bad_request` GatewayErrors.
 */
export function decodeClientFrame(data: ArrayBuffer, isBinary: boolean): unknown {
  if (isBinary) {
    const bytes = new Uint8Array(data);
    try {
      return unpack(bytes);
    } catch {
      // fall through: maybe JSON sent as a binary frame
    }
    return parseJsonText(decodeUtf8(bytes));
  }
  return parseJsonText(decodeUtf8(new Uint8Array(data)));
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return textDecoder.decode(bytes);
  } catch {
    throw badRequest('invalid message encoding');
  }
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('invalid json');
  }
}

export function parseClientCommand(message: unknown): ClientCommand {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) throw badRequest('invalid message envelope');
  const msg = message as Record<string, unknown>;
  if (typeof msg.type !== 'string' || msg.type === '') throw badRequest('missing message type');
  if (msg.type !== 'subscribe' && msg.type !== 'unsubscribe') throw badRequest(`unknown message type: ${msg.type}`);
  if (typeof msg.series_id !== 'string' || msg.series_id === '') throw badRequest('missing series_id');
  const series = parseSeriesId(msg.series_id);
  if (msg.type === 'unsubscribe') return { type: 'unsubscribe', series };

  const since = msg.since;
  if (since !== undefined && since !== null && !(typeof since === 'number' && Number.isSafeInteger(since))) throw badRequest('invalid since');
  const supportsBatch = msg.supports_batch;
  if (supportsBatch !== undefined && supportsBatch !== null && typeof supportsBatch !== 'boolean') throw badRequest('invalid supports_batch');
  const tailLimit = msg.tail_limit;
  if (
    tailLimit !== undefined &&
    tailLimit !== null &&
    !(typeof tailLimit === 'number' && Number.isInteger(tailLimit) && tailLimit >= 1 && tailLimit <= MAX_TAIL_LIMIT)
  ) {
    throw badRequest('invalid tail_limit');
  }
  return {
    type: 'subscribe',
    series,
    since: typeof since === 'number' ? since : null,
    supportsBatch: supportsBatch === true,
    tailLimit: typeof tailLimit === 'number' ? tailLimit : null,
  };
}
