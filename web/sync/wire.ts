import { parseCandle, type Candle } from '../../src/domain/candle.js';

/**
 * The market wire shapes the page speaks (contract §2 HTTP, §3 WS), parsed defensively: the page
 * must never render NaN bars or throw inside a socket handler because of one odd frame.
 */

export type ServerFrame =
  | { type: 'candles_batch'; series_id: string; candles: Candle[] }
  | { type: 'candle_closed'; series_id: string; candle: Candle }
  | { type: 'candle_forming'; series_id: string; candle: Candle }
  | { type: 'gap'; series_id: string; expected_next_time: number | null; actual_time: number | null }
  | { type: 'snapshot'; series_id: string; candles: Candle[]; server_head_time: number | null; forming: Candle | null }
  | { type: 'error'; code: string; message: string; series_id: string | null };

export type SubscribeFrame =
  | { type: 'subscribe'; series_id: string; since: number | null; supports_batch: true }
  | { type: 'subscribe'; series_id: string; tail_limit: number; supports_batch: true };

export interface UnsubscribeFrame {
  type: 'unsubscribe';
  series_id: string;
}

/** Thrown for a frame or body that does not match the contract; the message says which part. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

type Obj = Record<string, unknown>;

function asObject(value: unknown, where: string): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WireFormatError(`${where} is not an object`);
  return value as Obj;
}

function candleOf(value: unknown, where: string): Candle {
  try {
    return parseCandle(value, where);
  } catch (err) {
    throw new WireFormatError(err instanceof Error ? err.message : String(err));
  }
}

function candlesOf(value: unknown, where: string): Candle[] {
  if (!Array.isArray(value)) throw new WireFormatError(`${where} is not an array`);
  return value.map((c, i) => candleOf(c, `${where}[${i}]`));
}

function timeOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function seriesOf(obj: Obj, type: string): string {
  if (typeof obj.series_id !== 'string') throw new WireFormatError(`${type} without series_id`);
  return obj.series_id;
}

/** Parses one text frame from `/ws/market`. Unknown types are returned as null (forward compatible). */
export function parseServerFrame(text: string): ServerFrame | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new WireFormatError('frame is not JSON');
  }
  const obj = asObject(raw, 'frame');
  const type = obj.type;
  switch (type) {
    case 'candles_batch':
      return { type, series_id: seriesOf(obj, type), candles: candlesOf(obj.candles, 'candles') };
    case 'candle_closed':
    case 'candle_forming':
      return { type, series_id: seriesOf(obj, type), candle: candleOf(obj.candle, 'candle') };
    case 'gap':
      return {
        type,
        series_id: seriesOf(obj, type),
        expected_next_time: timeOrNull(obj.expected_next_time),
        actual_time: timeOrNull(obj.actual_time),
      };
    case 'snapshot':
      return {
        type,
        series_id: seriesOf(obj, type),
        candles: candlesOf(obj.candles, 'candles'),
        server_head_time: timeOrNull(obj.server_head_time),
        forming: obj.forming == null ? null : candleOf(obj.forming, 'forming'),
      };
    case 'error':
      return {
        type,
        code: typeof obj.code === 'string' ? obj.code : 'unknown',
        message: typeof obj.message === 'string' ? obj.message : '',
        series_id: typeof obj.series_id === 'string' ? obj.series_id : null,
      };
    default:
      return null;
  }
}

/** Parses the body of `GET /api/market/candles` (contract §2). */
export function parseCandlesBody(raw: unknown): Candle[] {
  return candlesOf(asObject(raw, 'response body').candles, 'candles');
}

/** `code: message` of an error body (`{"code","message"}`, contract §2), or null when it is not one. */
export function describeErrorBody(raw: unknown): string | null {
  if (raw === null || typeof raw !== 'object') return null;
  const { code, message } = raw as Obj;
  if (typeof code !== 'string') return null;
  return typeof message === 'string' && message ? `${code}: ${message}` : code;
}
