import type { Candle } from './candle.js';
import { scanKlineFrame } from './binance-kline-scan.js';

/**
 * Binance kline frames → typed results (sources.md "Binance kline WebSocket"). Pure, no I/O, never
 * throws: the ingest path feeds it every frame a socket delivers, and a malformed frame must cost
 * one counter increment, not a job.
 *
 * Accepted shapes: a raw event `{"e":"kline","E":ms,"s":..,"k":{..}}` and the combined-stream
 * envelope `{"stream":"btcusdt@kline_1m","data":{..}}`. Prices and volumes are decimal strings
 * ("1.01000"); JSON numbers are accepted too.
 */

/** One kline update. `candle.candle_time` is Unix seconds (`k.t / 1000`, contract §1). */
export interface KlineEvent {
  readonly ok: true;
  /** Stream name from the combined envelope, or derived (`<s lowercase>@kline_<i>`) for raw frames. */
  readonly stream: string;
  /** Exchange symbol, e.g. `BTCUSDT` (`data.s`). */
  readonly symbol: string;
  /** Binance interval, e.g. `1m` (`k.i`). */
  readonly interval: string;
  /** `k.x`: the bar is final. The closed frame, not the last forming one, is authoritative. */
  readonly closed: boolean;
  /** `E`, event time in ms; with (stream, k.t, x) it identifies a frame across connections. */
  readonly eventTimeMs: number;
  readonly candle: Candle;
}

export type SkipReason =
  /** Not parseable JSON. */
  | 'not_json'
  /** Valid JSON but not an object (array, number, ...). */
  | 'not_object'
  /** Reply to SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS: `{"result":..,"id":N}`. */
  | 'reply'
  /** Error reply: `{"error":{"code":..,"msg":..},"id":N}`. */
  | 'error_reply'
  /** The server announced it will close this connection soon. */
  | 'server_shutdown'
  /** Another event type (depthUpdate, aggTrade, bookTicker, ...). */
  | 'other_event'
  /** `e` is "kline" but a required field is missing or has the wrong type. */
  | 'bad_kline'
  /** An object with no `e` and no reply shape. */
  | 'unknown';

export interface FrameSkip {
  readonly ok: false;
  readonly reason: SkipReason;
  /** Request id of a (error) reply, when it is a non-negative integer. */
  readonly id?: number;
  /** Short human hint (the bad field, the other event's name), for debug logs. */
  readonly detail?: string;
}

export type ParsedFrame = KlineEvent | FrameSkip;

/**
 * The production parser: a targeted scanner for the kline layout Binance sends, falling back to
 * `JSON.parse` for anything it does not recognise. bench/micro/kline-parse.ts measures both;
 * test/domain/binance-kline.test.ts checks they agree on every fixture line and on fuzzed frames.
 */
export function parseKlineFrame(text: string): ParsedFrame {
  return scanKlineFrame(text) ?? parseKlineFrameJson(text);
}

/** The reference parser: JSON.parse plus field validation. */
export function parseKlineFrameJson(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return skip('not_json');
  }
  if (!isObject(value)) return skip('not_object');
  let stream: string | undefined;
  let event: Record<string, unknown> = value;
  if (typeof value.stream === 'string' && isObject(value.data)) {
    stream = value.stream;
    event = value.data;
  } else if (isObject(value.event)) {
    // Connection events of the WebSocket API come wrapped: {"event":{"e":"serverShutdown","E":..}}
    // (Binance spot docs "Connection events"); streams send the bare event. Accept both.
    event = value.event;
  }
  const e = event.e;
  if (e === 'kline') return klineFrom(event, stream);
  if (e === 'serverShutdown') return skip('server_shutdown');
  if (typeof e === 'string') return skip('other_event', undefined, e.slice(0, 40));
  if ('id' in value && ('result' in value || 'error' in value)) {
    const id = typeof value.id === 'number' && Number.isSafeInteger(value.id) && value.id >= 0 ? value.id : undefined;
    return skip('error' in value ? 'error_reply' : 'reply', id);
  }
  return skip('unknown');
}

function klineFrom(event: Record<string, unknown>, stream: string | undefined): ParsedFrame {
  const k = event.k;
  if (!isObject(k)) return skip('bad_kline', undefined, 'k');
  const E = event.E;
  if (!isTimeMs(E)) return skip('bad_kline', undefined, 'E');
  const t = k.t;
  if (!isTimeMs(t) || t % 1000 !== 0) return skip('bad_kline', undefined, 'k.t');
  const symbol = event.s;
  if (typeof symbol !== 'string' || symbol === '') return skip('bad_kline', undefined, 's');
  const interval = k.i;
  if (typeof interval !== 'string' || interval === '') return skip('bad_kline', undefined, 'k.i');
  if (typeof k.x !== 'boolean') return skip('bad_kline', undefined, 'k.x');
  const open = decimal(k.o);
  const high = decimal(k.h);
  const low = decimal(k.l);
  const close = decimal(k.c);
  const volume = decimal(k.v);
  if (open === undefined || high === undefined || low === undefined || close === undefined || volume === undefined) {
    return skip('bad_kline', undefined, 'price');
  }
  return {
    ok: true,
    stream: stream ?? streamNameOf(symbol, interval),
    symbol,
    interval,
    closed: k.x,
    eventTimeMs: E,
    candle: { candle_time: t / 1000, open, high, low, close, volume },
  };
}

/** `<symbol lowercase>@kline_<interval>`: the name Binance gives the stream (sources.md). */
export function streamNameOf(symbol: string, interval: string): string {
  return `${symbol.toLowerCase()}@kline_${interval}`;
}

/** Largest event/open time accepted: year 9999 in ms, below 2^53 (matches domain/candle.ts). */
export const MAX_TIME_MS = 253_402_300_799_000;

function isTimeMs(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TIME_MS;
}

/**
 * Binance decimals: `-?digits(.digits)?`. Stricter than `Number()` on purpose ("" → 0, "0x1f",
 * " 1", "1e3" and "Infinity" are not prices); the scanner implements the same grammar.
 */
const DECIMAL_RE = /^-?\d+(?:\.\d+)?$/;

function decimal(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || !DECIMAL_RE.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function skip(reason: SkipReason, id?: number, detail?: string): FrameSkip {
  if (id === undefined && detail === undefined) return SKIPS[reason];
  return { ok: false, reason, id, detail };
}

/** Shared frozen results for the common skips: a depth-heavy socket allocates nothing per frame. */
const SKIPS: Record<SkipReason, FrameSkip> = Object.fromEntries(
  (['not_json', 'not_object', 'reply', 'error_reply', 'server_shutdown', 'other_event', 'bad_kline', 'unknown'] as const).map((r) => [
    r,
    Object.freeze({ ok: false as const, reason: r }),
  ]),
) as Record<SkipReason, FrameSkip>;
