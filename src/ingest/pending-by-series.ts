import { CANDLE_STRIDE } from '../domain/candle.js';

/** Candles a lane holds before its first growth: a live series rarely has more waiting. */
const INITIAL_CANDLES = 16;
/**
 * An emptied lane larger than this goes back to the initial size once a fill used a quarter of it
 * at most (the backlog has passed): shrinking at every emptying made a lane under a steady backlog
 * regrow from scratch each cycle (growth was 4 % of the ingest thread in a bench:ingest profile,
 * 2.5 % after: each lane's first growth).
 */
const KEPT_CANDLES = 256;

/** One series' candles waiting to go out, in arrival order. Emptied, not dropped, while retained. */
class Lane {
  data = new Float64Array(INITIAL_CANDLES * CANDLE_STRIDE);
  /** Candles `[start, start + count)` of `data` wait. */
  start = 0;
  count = 0;
  /** Most candles waiting at once since the lane was last empty. */
  peak = 0;
  /** In the queue of lanes with candles. */
  queued = false;
  /** A running job's lane: kept when emptied (no map churn per candle). */
  retained = false;

  constructor(readonly seriesId: string) {}

  /** Appends the candle at `src[at..at+6)`. */
  push(src: Float64Array, at: number): void {
    if ((this.start + this.count) * CANDLE_STRIDE === this.data.length) this.makeRoom();
    const d = this.data;
    const b = (this.start + this.count++) * CANDLE_STRIDE;
    if (this.count > this.peak) this.peak = this.count;
    d[b] = src[at]!;
    d[b + 1] = src[at + 1]!;
    d[b + 2] = src[at + 2]!;
    d[b + 3] = src[at + 3]!;
    d[b + 4] = src[at + 4]!;
    d[b + 5] = src[at + 5]!;
  }

  /** Moves the oldest `n` candles into `out` at candle `at`. */
  take(n: number, out: Float64Array, at: number): void {
    const d = this.data;
    let from = this.start * CANDLE_STRIDE;
    const end = from + n * CANDLE_STRIDE;
    for (let to = at * CANDLE_STRIDE; from < end;) out[to++] = d[from++]!;
    this.start += n;
    this.count -= n;
    if (this.count === 0) {
      this.start = 0;
      const capacity = this.data.length / CANDLE_STRIDE;
      if (capacity > KEPT_CANDLES && this.peak * 4 <= capacity) this.data = new Float64Array(INITIAL_CANDLES * CANDLE_STRIDE);
      this.peak = 0;
    }
  }

  private makeRoom(): void {
    if (this.start > 0 && this.count * 2 <= this.data.length / CANDLE_STRIDE) {
      this.data.copyWithin(0, this.start * CANDLE_STRIDE, (this.start + this.count) * CANDLE_STRIDE);
    } else {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data.subarray(this.start * CANDLE_STRIDE, (this.start + this.count) * CANDLE_STRIDE));
      this.data = grown;
    }
    this.start = 0;
  }
}

/** One writer message: segments of one series each, back to back in `data`. */
export interface TakenCandles {
  readonly series: string[];
  readonly counts: number[];
  readonly data: Float64Array;
}

/**
 * The ingest batcher's waiting candles, grouped by series: a batch takes series by series, in
 * the order of each one's oldest waiting candle, so under a backlog one message carries long runs
 * of few series, and the writer's drain touches fewer index pages per row (plain arrival order
 * instead, ~1 candle of each of 200 series per message, committed 10–43% fewer candles/s in
 * bench:ingest, docs/benchmarks.md). Nothing is allocated per candle: a running job's lane is
 * reused; only a lane's growth under a backlog and each taken message allocate.
 */
export class PendingBySeries {
  private readonly lanes = new Map<string, Lane>();
  /**
   * Lanes with candles, oldest first: `queue[head, tail)`. The array keeps its length (slots are
   * reused, never truncated), so queueing a lane allocates nothing once it has grown.
   */
  private readonly queue: (Lane | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private total = 0;

  /** Candles waiting. */
  get count(): number {
    return this.total;
  }

  /** Series with a lane: retained ones and those with candles waiting. */
  get series(): number {
    return this.lanes.size;
  }

  /** Keeps the series' lane while its job runs (the hot path never adds or removes a map entry). */
  retain(seriesId: string): void {
    this.lane(seriesId).retained = true;
  }

  /** The job stopped: its lane goes once its candles have gone out. */
  release(seriesId: string): void {
    const lane = this.lanes.get(seriesId);
    if (lane === undefined) return;
    lane.retained = false;
    if (lane.count === 0) this.lanes.delete(seriesId);
  }

  /** Appends the candle at `src[at..at+6)` (values copied: typed array to typed array, no boxing). */
  push(seriesId: string, src: Float64Array, at: number): void {
    const lane = this.lane(seriesId);
    if (!lane.queued) {
      lane.queued = true;
      if (this.tail === this.queue.length) this.queue.push(lane);
      else this.queue[this.tail] = lane;
      this.tail++;
    }
    lane.push(src, at);
    this.total++;
  }

  /** The oldest `max` candles at most (series by series), removed. */
  take(max: number): TakenCandles {
    const take = Math.min(max, this.total);
    // Segments first, so the message's arrays are made at their size (no growth garbage).
    let segments = 0;
    for (let i = this.head, left = take; left > 0; i++, segments++) left -= this.queue[i]!.count;
    const data = new Float64Array(take * CANDLE_STRIDE);
    const series = new Array<string>(segments);
    const counts = new Array<number>(segments);
    let written = 0;
    for (let s = 0; s < segments; s++) {
      const lane = this.queue[this.head]!;
      const n = Math.min(lane.count, take - written);
      lane.take(n, data, written);
      series[s] = lane.seriesId;
      counts[s] = n;
      written += n;
      if (lane.count === 0) {
        lane.queued = false;
        this.queue[this.head++] = undefined;
        if (!lane.retained) this.lanes.delete(lane.seriesId);
      }
    }
    this.total -= written;
    if (this.head === this.tail) {
      this.head = this.tail = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.tail) {
      // A long backlog: move the live part to the front rather than let the array grow.
      this.queue.copyWithin(0, this.head, this.tail);
      this.queue.fill(undefined, this.tail - this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    return { series, counts, data };
  }

  private lane(seriesId: string): Lane {
    let lane = this.lanes.get(seriesId);
    if (lane === undefined) this.lanes.set(seriesId, (lane = new Lane(seriesId)));
    return lane;
  }
}
