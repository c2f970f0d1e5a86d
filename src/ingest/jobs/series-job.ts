import type { BinanceSeries } from '../../domain/binance-symbols.js';
import type { Candle } from '../../domain/candle.js';
import type { KlineFrame } from '../../domain/kline-frame.js';
import type { Logger } from '../../shared/log.js';
import type { GapFillResult } from '../../exchange/binance/binance-rest.js';
import type { Clock } from '../../shared/clock.js';
import { CloseTracker } from './close-tracker.js';
import { FormingThrottle } from './forming-throttle.js';
import { GapHold } from './gap-hold.js';
import type { BackfillProgress } from './hold-progress.js';
import { RateMeter } from './rate-meter.js';

/**
 * One ingested series inside an ingest worker (architecture: "ingest workers host per-series
 * jobs"). It turns the klines of its stream into: closed candles for the writer (via the
 * worker's shared ClosedBatcher), in time order with holes filled first (GapHold), throttled
 * forming candles for the hub, and hole reports for the hole fetch queue. Pure apart from the
 * callbacks, so it is tested in-thread.
 *
 * Holes show up two ways: a closed time that jumps (a dropped frame, a reconnect), and a forming
 * frame of a bar whose predecessors never closed here — the only early sign after a start-up or
 * a reconnect, when the next close may be a whole bar away. Both are measured against the store
 * head given at start, so our own downtime is filled too.
 */
export interface SeriesJobSinks {
  /**
   * Closed candles, packed, ascending (a hole's fill and the candles held behind it come together).
   * Both sinks get values valid during the call only (reused per frame): copy what must outlive it.
   */
  readonly closed: (seriesId: string, packed: Float64Array) => void;
  readonly forming: (seriesId: string, candle: Candle) => void;
  /** Candle times `from`..`to` (seconds, inclusive) are missing: fetch them. */
  readonly gap: (series: BinanceSeries, from: number, to: number) => void;
}

export interface SeriesJobOptions {
  readonly formingMinIntervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Newest stored candle_time (store head), if known: the first frames then reveal our own downtime. */
  readonly head?: number | null;
  /** GapHold bounds: live candles held behind a hole, and the longest hold (ms). */
  readonly maxHeld?: number;
  readonly maxHoldMs?: number;
}

/**
 * How long after a bar's end its closed frame may still come. Binance sends it 0.2–2 s after the
 * bar's close time (sources.md); a forming frame of the next bar later than this proves it was
 * lost. Exchange time (the frame's E), so the fake's virtual clock works the same way.
 */
export const CLOSE_GRACE_MS = 5_000;

/** Per-series numbers for the debug endpoint and metrics (plain object: crosses threads as is). */
export interface SeriesJobStats {
  seriesId: string;
  market: string;
  stream: string;
  startedAt: number;
  /** Kline frames routed to this series. */
  frames: number;
  /** Kline frames per second over the last minute. */
  framesPerSecond: number;
  closed: number;
  /** Newest closed candle_time known (seconds): seen live, revealed, or the store head given at start; null if none. */
  lastClosedTime: number | null;
  /** When the last frame arrived (ms), or null. */
  lastFrameAt: number | null;
  /** E − bar end of the last closed frame (ms): how late Binance closed it (0.2–2 s in recordings). */
  closeLagMs: number | null;
  formingReceived: number;
  formingEmitted: number;
  formingDropped: number;
  gaps: number;
  missingBars: number;
  gapFills: number;
  gapFilledCandles: number;
  gapFillErrors: number;
  /** Holds behind holes, live candles held now, bound hits, holes REST could not fill. */
  holds: number;
  held: number;
  heldTotal: number;
  holdBoundHits: number;
  unfilledHoles: number;
  unfilledBars: number;
  /** The hold being filled now and the last one that ended (series health's backfill fields). */
  backfill: BackfillProgress;
  /** Of the connection carrying the stream (shared with the other streams on it). */
  reconnects: number;
  /** Non-kline frames (replies, other events, garbage) on that connection. */
  skippedFrames: number;
}

export class SeriesJob {
  readonly startedAt: number;
  private readonly tracker: CloseTracker;
  private readonly throttle: FormingThrottle;
  private readonly hold: GapHold;
  private readonly rate: RateMeter;
  private readonly clock: Clock;
  private frames = 0;
  private closedCount = 0;
  // NaN until the first frame / close (null in stats): a field that starts as null holds a double
  // as a fresh heap number on every store, a number field overwrites it in place.
  private lastFrameAt = NaN;
  private closeLagMs = NaN;
  private gapFills = 0;
  private gapFilledCandles = 0;
  private gapFillErrors = 0;
  private readonly scratch: Candle = { candle_time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };

  constructor(
    readonly series: BinanceSeries,
    sinks: SeriesJobSinks,
    private readonly opts: SeriesJobOptions,
  ) {
    this.clock = opts.clock;
    this.startedAt = this.clock.now();
    this.tracker = new CloseTracker(series.tfSeconds, opts.head ?? undefined);
    this.throttle = new FormingThrottle(opts.formingMinIntervalMs, (c) => sinks.forming(series.seriesId, c), this.clock);
    this.rate = new RateMeter(this.clock);
    this.hold = new GapHold(
      {
        seriesId: series.seriesId,
        tfSeconds: series.tfSeconds,
        release: (packed) => sinks.closed(series.seriesId, packed),
        requestFill: (from, to) => sinks.gap(series, from, to),
        maxHeld: opts.maxHeld,
        maxHoldMs: opts.maxHoldMs,
        clock: this.clock,
        logger: opts.logger,
      },
      opts.head,
    );
  }

  /** A deduplicated kline of this series' stream (the frame is reused afterwards: nothing keeps it). */
  onKline(frame: KlineFrame): void {
    this.frames++;
    // The time the socket read carrying the frame began (stream-connection.ts stamps it per read).
    const now = frame.receivedAt;
    this.rate.record(now);
    this.lastFrameAt = now;
    const t = frame.candleTime;
    const tf = this.series.tfSeconds;
    const candle = this.candleOf(frame);
    if (!frame.closed) {
      // Bar t is forming, so every bar up to t − 2tf closed long ago, and t − tf too once the grace is over.
      const closedUpTo = frame.eventTimeMs >= t * 1000 + CLOSE_GRACE_MS ? t - tf : t - 2 * tf;
      if (this.tracker.last === undefined) {
        // A new series (no store head, no close yet): this job owns every bar from the forming
        // one on, so a first close lost to an early reconnect is still found and filled. The bar
        // before it is history (it may not even exist: a new listing, the fake's new stream).
        this.tracker.seed(t - tf);
        this.hold.seed(t - tf);
      } else {
        const revealed = this.tracker.reveal(closedUpTo);
        if (revealed.kind === 'gap') this.hold.missing(revealed.from, revealed.to);
      }
      this.throttle.forming(candle, frame);
      return;
    }
    this.closedCount++;
    this.closeLagMs = frame.eventTimeMs - (t + tf) * 1000;
    const seen = this.tracker.observe(t);
    // The hole first, so this candle is held behind it.
    if (seen.kind === 'gap') this.hold.missing(seen.from, seen.to);
    // Closed frames are the truth (sources.md): always stored, even a repeat (upsert is idempotent).
    this.hold.closed(candle);
    this.throttle.closed(t);
  }

  /** The frame's candle in the job's one scratch Candle: the throttle and the hold copy what they keep. */
  private candleOf(frame: KlineFrame): Candle {
    const c = this.scratch;
    c.candle_time = frame.candleTime;
    c.open = frame.open;
    c.high = frame.high;
    c.low = frame.low;
    c.close = frame.close;
    c.volume = frame.volume;
    return c;
  }

  /** Newest closed candle_time known (seen, revealed, or the store head), if any. */
  get lastClosedTime(): number | undefined {
    return this.tracker.last;
  }

  /** Candles a gap fill fetched for this series (ascending). */
  onGapFillCandles(packed: Float64Array): void {
    this.hold.filled(packed);
  }

  /** A gap fill attempt of this series finished; `settled`: none queued or running any more. */
  onGapFill(result: GapFillResult, candles: number, settled: boolean): void {
    this.gapFills++;
    this.gapFilledCandles += candles;
    if (!result.ok) this.gapFillErrors++;
    this.hold.fillDone(result.ok ? undefined : `${result.error.code}: ${result.error.message}`, settled);
  }

  /** Stops the job; returns the held candles dropped (the next start fills them from the store head). */
  stop(): number {
    this.throttle.stop();
    return this.hold.stop();
  }

  /** `connection`: stats of the connection carrying the stream (the engine looks them up). */
  stats(connection?: { reconnects: number; skipped: number }): SeriesJobStats {
    const forming = this.throttle.stats();
    const hold = this.hold.stats();
    return {
      seriesId: this.series.seriesId,
      market: this.series.market,
      stream: this.series.stream,
      startedAt: this.startedAt,
      frames: this.frames,
      framesPerSecond: this.rate.perSecond(),
      closed: this.closedCount,
      lastClosedTime: this.tracker.last ?? null,
      lastFrameAt: Number.isNaN(this.lastFrameAt) ? null : this.lastFrameAt,
      closeLagMs: Number.isNaN(this.closeLagMs) ? null : this.closeLagMs,
      formingReceived: forming.received,
      formingEmitted: forming.emitted,
      formingDropped: forming.dropped,
      gaps: this.tracker.gaps,
      missingBars: this.tracker.missingBars,
      gapFills: this.gapFills,
      gapFilledCandles: this.gapFilledCandles,
      gapFillErrors: this.gapFillErrors,
      holds: hold.holds,
      held: hold.held,
      heldTotal: hold.heldTotal,
      holdBoundHits: hold.boundHits,
      unfilledHoles: hold.unfilledHoles,
      unfilledBars: hold.unfilledBars,
      backfill: this.hold.progress.snapshot(),
      reconnects: connection?.reconnects ?? 0,
      skippedFrames: connection?.skipped ?? 0,
    };
  }
}
