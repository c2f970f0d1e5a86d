import type { KlineEvent } from './binance-kline.js';
import type { Candle } from './candle.js';

/**
 * The fields of one kline frame as the ingest path uses them, filled in place: one KlineFrame per
 * connection is reused for every frame, so reading a frame allocates nothing. The byte scanner
 * (binance-kline-bytes.ts) fills it from the socket's bytes; frames in any other layout go through
 * the string parser and `fromEvent`. Valid until the next frame of the same connection.
 */
export class KlineFrame {
  /** Where the stream name lies in the message bytes (byte path), and its FNV-1a hash. */
  streamStart = 0;
  streamEnd = 0;
  streamHash = 0;
  /** The stream name when the frame came through the string path (else resolved from the bytes). */
  stream: string | undefined = undefined;
  /** `E` (ms) and `k.t` / 1000 (seconds, contract §1). */
  eventTimeMs = 0;
  candleTime = 0;
  closed = false;
  open = 0;
  high = 0;
  low = 0;
  close = 0;
  volume = 0;
  /** Local time (clock ms) the socket read carrying this frame began; one clock read per read. */
  receivedAt = 0;

  /** The string parser's event, copied in. */
  fromEvent(ev: KlineEvent): this {
    this.stream = ev.stream;
    this.eventTimeMs = ev.eventTimeMs;
    this.closed = ev.closed;
    const c = ev.candle;
    this.candleTime = c.candle_time;
    this.open = c.open;
    this.high = c.high;
    this.low = c.low;
    this.close = c.close;
    this.volume = c.volume;
    return this;
  }

  /** A Candle object (only where one must outlive the frame, e.g. a test or a held candle). */
  candle(): Candle {
    return { candle_time: this.candleTime, open: this.open, high: this.high, low: this.low, close: this.close, volume: this.volume };
  }
}

/** FNV-1a, 32-bit: the hash the byte scanner computes over a stream name while it reads it. */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;
/**
 * The hash is kept to its low 30 bits: a small integer V8 passes and keys a Map with as is. Half
 * of all full 32-bit hashes are past that range, and each of those became a heap number per frame
 * when passed to StreamNames.resolve (bench:micro:ingest-path). Names are compared anyway.
 */
export const STREAM_HASH_MASK = 0x3fffffff;

export function fnv1a(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h & STREAM_HASH_MASK;
}
