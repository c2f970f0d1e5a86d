import { CANDLE_STRIDE, writeCandle, type Candle } from '../domain/candle.js';
import { createLogger, type Logger } from '../shared/log.js';
import type { WriterProducer } from '../writer/contract.js';
import { PendingBySeries } from './pending-by-series.js';
import { systemClock, type Clock, type Timer } from '../shared/clock.js';
import { phaseTracer } from '../shared/phase-trace.js';

/** Benchmarks' per-phase stamps (off unless KLINE_GATEWAY_PHASE_TRACE=1). */
const trace = phaseTracer('ingest');

/** Least interval between two "dropped" warnings. */
const OVERFLOW_LOG_MS = 5_000;
/** Low load sends at once while fewer than 1/this of the producer's window is in flight. */
const LOW_LOAD_WINDOW_SHARE = 4;

/**
 * Closed candles of all series of one ingest worker → `ClosedBatchMessage`s for the writer
 * (contract §4 "Batching toward the writer"). `BINANCE_WS_BATCH_MAX` and `BINANCE_WS_FLUSH_S` are
 * upper bounds, not a rhythm. Adaptive: while the writer has little of ours (fewer than `maxBatch`
 * candles and a quarter of the window unacked: low load), the candles of one turn (one socket
 * read: a microtask after it) go out together at once, also while a batch is in flight — the
 * writer queues them during the drain in flight and commits them in the next, instead of their
 * waiting here for that drain's ack and then missing the next drain (measured: a second commit's
 * wait, docs/benchmarks.md "Closed-candle latency at low load"). Busy, new candles coalesce and
 * go out when a batch is acked, when `maxBatch` is reached, or when the oldest has waited
 * `flushMs` — whichever comes first: few, full messages.
 * Segments are per series, in the order of each series' oldest waiting candle, packed
 * `[t,o,h,l,c,v]×n` (pending-by-series.ts: nothing allocated per candle). Batches go out through
 * the worker's WriterProducer (copy mode: kept until acked, resent after a writer restart).
 *
 * Bounded (architecture invariant 4): at most the producer's window of unacked batches and
 * `maxPending` buffered candles. At the first bound it says so (counter + warn); past the second
 * it drops the new candle and reports it through `onOverflow`, so the host can fill it from REST
 * later.
 */
export interface ClosedBatcherOptions {
  readonly maxBatch: number;
  readonly flushMs: number;
  /**
   * Candles buffered while every slot is in flight (default maxBatch × 2,500 = 500,000 at 200:
   * ~24 MB). Beyond it candles are dropped and refetched by REST gap fill: a last resort only.
   */
  readonly maxPending?: number;
  /** The window toward the writer (shared with the worker's backfills). */
  readonly producer: WriterProducer;
  readonly onOverflow?: (seriesId: string, candleTime: number) => void;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface ClosedBatcherStats {
  pendingCandles: number;
  inFlight: number;
  batchesSent: number;
  candlesSent: number;
  candlesAcked: number;
  /** Times a flush was due while every in-flight slot was taken. */
  fullEvents: number;
  /** Candles dropped at maxPending. */
  overflowed: number;
}

export class ClosedBatcher {
  private readonly pending = new PendingBySeries();
  /** add()'s one candle, packed. */
  private readonly row = new Float64Array(CANDLE_STRIDE);
  private timer: Timer | undefined;
  private full = false;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly producer: WriterProducer;
  private readonly maxPending: number;
  private lastOverflowLog = -Infinity;
  private readonly counters = { batchesSent: 0, candlesSent: 0, candlesAcked: 0, fullEvents: 0, overflowed: 0 };
  private drainWaiters: (() => void)[] = [];
  /** A flush at the end of the current turn is queued (low load). */
  private turnFlushQueued = false;

  constructor(private readonly opts: ClosedBatcherOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? createLogger('ingest.batcher');
    this.producer = opts.producer;
    this.maxPending = Math.max(opts.maxBatch, opts.maxPending ?? opts.maxBatch * 2500);
    // A free slot (an ack) sends what waits at once.
    this.producer.onRoom(() => this.onRoom());
  }

  /** A running job's series: its waiting candles keep one reused buffer (PendingBySeries.retain). */
  retain(seriesId: string): void {
    this.pending.retain(seriesId);
  }

  /** The job stopped; candles of it already here still go out. */
  release(seriesId: string): void {
    this.pending.release(seriesId);
  }

  add(seriesId: string, c: Candle): void {
    writeCandle(this.row, 0, c);
    if (this.push(seriesId, this.row, 0)) this.afterPush();
  }

  /** Adds packed candles of one series (a gap fill page), ascending. */
  addPacked(seriesId: string, packed: Float64Array): void {
    let added = false;
    for (let b = 0; b < packed.length; b += CANDLE_STRIDE) {
      added = this.push(seriesId, packed, b) || added;
    }
    if (added) this.afterPush();
  }

  /** Sends everything pending that fits in the free in-flight slots. */
  flush(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.count > 0 && this.producer.room > 0) this.sendOne();
    if (this.pending.count > 0) {
      if (!this.full) {
        this.full = true;
        this.counters.fullEvents++;
        this.log.warn('closed batches: every in-flight slot taken, candles wait for writer acks', {
          inFlight: this.producer.inFlight,
          pending: this.pending.count,
        });
      }
    } else {
      this.full = false;
    }
  }

  /** Flushes and resolves once every batch sent so far is acked (shutdown: "flush their batches"). */
  drain(): Promise<void> {
    this.flush();
    if (this.producer.inFlight === 0 && this.pending.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  stats(): ClosedBatcherStats {
    return { pendingCandles: this.pending.count, inFlight: this.producer.inFlight, ...this.counters };
  }

  private onRoom(): void {
    if (this.pending.count > 0) this.flush();
    if (this.producer.inFlight === 0 && this.pending.count === 0) this.resolveDrain();
  }

  /**
   * An arrow made once: a method that creates `() => this.onTimer()` makes V8 allocate a context
   * for `this` on every call, even when the closure is not created (afterPush runs per candle).
   */
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  /**
   * The candle at `packed[at..at+6)`. Values stay in typed arrays on their way: six doubles passed
   * as arguments to a call V8 does not inline are six heap numbers.
   */
  private push(seriesId: string, packed: Float64Array, at: number): boolean {
    if (this.pending.count >= this.maxPending) {
      const t = packed[at]!;
      this.counters.overflowed++;
      this.warnOverflow(seriesId, t);
      this.opts.onOverflow?.(seriesId, t);
      return false;
    }
    this.pending.push(seriesId, packed, at);
    return true;
  }

  /** One warning, then at most one every OVERFLOW_LOG_MS with the count since: no log flood. */
  private warnOverflow(seriesId: string, candleTime: number): void {
    const now = this.clock.now();
    if (now - this.lastOverflowLog < OVERFLOW_LOG_MS) return;
    this.log.warn('closed candles dropped: writer queue bound reached (refetched by REST gap fill)', {
      seriesId,
      candleTime,
      pending: this.pending.count,
      droppedSoFar: this.counters.overflowed,
    });
    this.lastOverflowLog = now;
  }

  /** A full batch: send now; low load: at the end of this turn; otherwise wait at most flushMs (or an ack). */
  private afterPush(): void {
    if (this.pending.count >= this.opts.maxBatch || this.opts.flushMs <= 0) this.flush();
    else if (this.turnFlushQueued) return;
    else if (this.lowLoad()) {
      this.turnFlushQueued = true;
      queueMicrotask(this.onTurnEnd);
    } else if (this.timer === undefined) this.timer = this.clock.setTimeout(this.onTimer, this.opts.flushMs);
  }

  /** Everything the turn added (a socket read's closed frames) is pending: one batch, or the busy rule. */
  private readonly onTurnEnd = (): void => {
    this.turnFlushQueued = false;
    if (this.pending.count === 0) return;
    if (this.lowLoad()) this.flush();
    else if (this.timer === undefined) this.timer = this.clock.setTimeout(this.onTimer, this.opts.flushMs);
  };

  /**
   * The writer has little of ours: under a full batch of candles unacked, and a quarter of the
   * window at most, so small low-load batches never take the slots a burst needs.
   */
  private lowLoad(): boolean {
    const p = this.producer;
    return p.inFlight === 0 || (p.inFlightCandles + this.pending.count <= this.opts.maxBatch && p.inFlight * LOW_LOAD_WINDOW_SHARE < p.inFlight + p.room);
  }

  /** Packs up to maxBatch candles, series by series, into one message. */
  private sendOne(): void {
    const { series, counts, data } = this.pending.take(this.opts.maxBatch);
    const written = data.length / CANDLE_STRIDE;
    this.counters.batchesSent++;
    this.counters.candlesSent += written;
    trace?.markPacked('ingest.posted', data);
    // A failed commit is retried by the writer (the batch stays unacked here); only a refusal
    // (malformed batch, writer closing) rejects, and the writer has logged why.
    this.producer.send({ series, counts, data, publish: true }).then(
      (candles) => (this.counters.candlesAcked += candles),
      () => undefined,
    );
  }

  private resolveDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
