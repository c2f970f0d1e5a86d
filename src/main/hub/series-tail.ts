import { CANDLE_STRIDE, candleCount } from '../../domain/candle.js';
import { candlesAfter, firstIndexAfter, mergeAscending } from '../../domain/candle-batch.js';
import type { CandleJsonFragment } from '../../protocol/candle-json.js';

/** Encoded bodies memoized per series (distinct queries between two changes of the series). */
const MAX_BODIES_PER_SERIES = 16;
/** Smallest buffer (candles) a tail starts with; it grows by doubling up to 2× its capacity. */
const MIN_BUFFER_CANDLES = 256;

/** A read served from memory: candles `[from, to)` of `data`, plus the series head. */
export interface CachedRead {
  readonly data: Float64Array;
  readonly from: number;
  readonly to: number;
  readonly head: number | null;
  /** Text made for some of these candles while they were being committed (prepared-json.ts). */
  readonly fragments?: readonly CandleJsonFragment[];
}

/**
 * The latest closed candles of one series, in memory (issue 2 §5). Holds the newest `capacity`
 * stored candles, contiguous: every stored candle newer than the first cached one is here. So a
 * read of the latest N (N ≤ capacity), or of everything after a time inside the window, needs no
 * SQLite. `complete` means the series has no candle older than the window at all.
 *
 * Appends (the live case) are amortized O(1): the buffer grows by doubling up to room for 2×
 * capacity and then slides down only when full. Older candles (a first read's older pages,
 * committed after the newest) go in front of the window in place when they all precede it. The
 * buffer starts at the size of what it is given: a tail of a few hundred candles does not hold
 * 2× capacity (480 KB at the default 5,000) from its first read, and every megabyte allocated
 * outside the JS heap brings V8's next full collection nearer. Encoded response bodies are
 * memoized per query until the next change.
 */
export class SeriesTail {
  private buf: Float64Array;
  private start = 0;
  private end = 0;
  /** Commit sequence of the newest commit applied (or read) into this tail. */
  seq: number;
  complete: boolean;
  head: number | null;
  private readonly bodies = new Map<string, Buffer>();

  constructor(
    private readonly capacity: number,
    initial: Float64Array,
    head: number | null,
    seq: number,
  ) {
    const n = candleCount(initial);
    this.buf = new Float64Array(Math.max(Math.min(2 * capacity, Math.max(2 * n, MIN_BUFFER_CANDLES)), n, 1) * CANDLE_STRIDE);
    this.buf.set(initial);
    this.end = n;
    this.complete = n < capacity;
    this.head = head;
    this.seq = seq;
  }

  get count(): number {
    return this.end - this.start;
  }

  get firstTime(): number | null {
    return this.count > 0 ? this.buf[this.start * CANDLE_STRIDE]! : null;
  }

  get lastTime(): number | null {
    return this.count > 0 ? this.buf[(this.end - 1) * CANDLE_STRIDE]! : null;
  }

  /** The latest `limit` candles, or null when the window cannot prove it has them. */
  latest(limit: number): CachedRead | null {
    if (limit > this.count && !this.complete) return null;
    const from = Math.max(this.start, this.end - limit);
    return { data: this.buf, from, to: this.end, head: this.head };
  }

  /** Up to `limit` candles with time > since, or null when older candles might be missing. */
  after(since: number, limit: number): CachedRead | null {
    const first = this.firstTime;
    if (!this.complete && (first === null || since < first)) return null;
    const view = this.buf.subarray(this.start * CANDLE_STRIDE, this.end * CANDLE_STRIDE);
    const from = this.start + firstIndexAfter(view, since);
    return { data: this.buf, from, to: Math.min(this.end, from + limit), head: this.head };
  }

  /** Applies committed candles (ascending, unique times) of commit `seq`. */
  apply(data: Float64Array, head: number, seq: number): void {
    if (seq <= this.seq) return; // already contained in what we read
    this.seq = seq;
    this.head = this.head === null ? head : Math.max(this.head, head);
    const n = candleCount(data);
    if (n === 0) return;
    this.bodies.clear();
    const last = this.lastTime;
    if (last === null || data[0]! > last) this.append(data);
    else this.merge(data);
    this.trim();
  }

  /** A memoized encoded body for `key`, computed by `encode` on a miss. */
  body(key: string, encode: () => Buffer): Buffer {
    let body = this.bodies.get(key);
    if (body) {
      this.bodies.delete(key); // refresh: most recently used goes last
    } else {
      if (this.bodies.size >= MAX_BODIES_PER_SERIES) this.bodies.delete(this.bodies.keys().next().value!);
      body = encode();
    }
    this.bodies.set(key, body);
    return body;
  }

  private append(data: Float64Array): void {
    const n = candleCount(data);
    if (this.end + n > this.buf.length / CANDLE_STRIDE) this.relocate(0, n);
    this.buf.set(data, this.end * CANDLE_STRIDE);
    this.end += n;
  }

  /**
   * Moves the live window into a new buffer, starting at `front` (free slots before it) with
   * `back` free slots after it, grown (doubling, up to 2× capacity, or to what is needed) when the
   * current one lacks the room. Never a move in place: a read handed out earlier may still be
   * using this buffer (a catch-up holds its view across the await of a hole's backfill).
   */
  private relocate(front: number, back: number): void {
    const count = this.count;
    const needed = front + count + back;
    const slots = this.buf.length / CANDLE_STRIDE;
    const size = needed > slots ? Math.max(needed, Math.min(2 * this.capacity, 2 * slots)) : slots;
    const moved = new Float64Array(size * CANDLE_STRIDE);
    moved.set(this.buf.subarray(this.start * CANDLE_STRIDE, this.end * CANDLE_STRIDE), front * CANDLE_STRIDE);
    this.buf = moved;
    this.start = front;
    this.end = front + count;
  }

  private merge(incoming: Float64Array): void {
    const first = this.firstTime;
    let data = incoming;
    if (!this.complete && first !== null) {
      // The window is contiguous only from its first candle on: the store may hold candles between
      // an older incoming one and `first` that we never loaded, so older ones stay out.
      data = candlesAfter(incoming, first - 1);
      if (data.length === 0) return;
    }
    const n = candleCount(data);
    if (first !== null && data[(n - 1) * CANDLE_STRIDE]! < first) {
      // All older than the window (a first read's older page): in front of it. Slots before the
      // window were never handed out (candles are only older than a complete window, and a window
      // is complete until its first trim), so they are written in place when there is room.
      if (this.start < n) this.relocate(n, 0);
      this.start -= n;
      this.buf.set(data, this.start * CANDLE_STRIDE);
      return;
    }
    // Overlapping candles: a new buffer (the merge result), never the one reads were given.
    const live = this.buf.subarray(this.start * CANDLE_STRIDE, this.end * CANDLE_STRIDE);
    this.buf = mergeAscending(live, data);
    this.start = 0;
    this.end = candleCount(this.buf);
  }

  private trim(): void {
    if (this.count > this.capacity) {
      this.start = this.end - this.capacity;
      this.complete = false;
    }
  }
}
