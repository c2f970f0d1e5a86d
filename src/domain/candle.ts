import { badRequest } from '../shared/errors.js';

/** A candle as it appears on the wire, fields in contract order (§1). Times are Unix seconds. */
export interface Candle {
  candle_time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * Candles travel between threads and sit in caches as one packed Float64Array:
 * `[time, open, high, low, close, volume] × n`. One transferable buffer per batch is ~35× faster
 * to post than an array of objects (docs/benchmarks.md, micro/batch-transfer).
 */
export const CANDLE_STRIDE = 6;

export function candleCount(packed: Float64Array): number {
  return packed.length / CANDLE_STRIDE;
}

export function timeAt(packed: Float64Array, index: number): number {
  return packed[index * CANDLE_STRIDE]!;
}

export function candleAt(packed: Float64Array, index: number): Candle {
  const b = index * CANDLE_STRIDE;
  return {
    candle_time: packed[b]!,
    open: packed[b + 1]!,
    high: packed[b + 2]!,
    low: packed[b + 3]!,
    close: packed[b + 4]!,
    volume: packed[b + 5]!,
  };
}

export function writeCandle(packed: Float64Array, index: number, c: Candle): void {
  const b = index * CANDLE_STRIDE;
  packed[b] = c.candle_time;
  packed[b + 1] = c.open;
  packed[b + 2] = c.high;
  packed[b + 3] = c.low;
  packed[b + 4] = c.close;
  packed[b + 5] = c.volume;
}

export function packCandles(candles: readonly Candle[]): Float64Array {
  const packed = new Float64Array(candles.length * CANDLE_STRIDE);
  for (let i = 0; i < candles.length; i++) writeCandle(packed, i, candles[i]!);
  return packed;
}

export function unpackCandles(packed: Float64Array, from = 0, to = candleCount(packed)): Candle[] {
  const out = new Array<Candle>(Math.max(0, to - from));
  for (let i = from; i < to; i++) out[i - from] = candleAt(packed, i);
  return out;
}

/** Latest possible candle_time we accept: year 9999, far beyond any real bar, below 2^53. */
const MAX_CANDLE_TIME = 253_402_300_799;

const PRICE_FIELDS = ['open', 'high', 'low', 'close', 'volume'] as const;

/**
 * Validates a client-supplied candle object. Numbers may also arrive as numeric strings (the
 * trade_canvas API accepted them, and Binance sends decimals as strings). The error names the
 * field so a client can fix its payload.
 */
export function parseCandle(value: unknown, where = 'candle'): Candle {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`${where} must be an object`);
  }
  const obj = value as Record<string, unknown>;
  const time = toNumber(obj.candle_time);
  if (time === undefined || !Number.isInteger(time) || time < 0 || time > MAX_CANDLE_TIME) {
    throw badRequest(`${where}.candle_time must be an integer number of seconds >= 0`);
  }
  const candle: Candle = { candle_time: time, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  for (const field of PRICE_FIELDS) {
    const n = toNumber(obj[field]);
    if (n === undefined || !Number.isFinite(n)) throw badRequest(`${where}.${field} must be a finite number`);
    candle[field] = n;
  }
  return candle;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}
