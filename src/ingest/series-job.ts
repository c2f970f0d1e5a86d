import type { KlineEvent } from '../domain/binance-kline.js';
import type { BinanceSeries } from '../domain/binance-symbols.js';
import type { Candle } from '../domain/candle.js';
import type { GapFillResult } from './binance-rest.js';
import type { Clock } from './clock.js';
import { CloseTracker } from './close-tracker.js';
import { FormingThrottle } from './forming-throttle.js';

/**
 * One ingested series inside an ingest worker (architecture: "ingest workers host per-series
 * jobs"). It turns the klines of its stream into: closed candles for the writer (via the
 * worker's shared ClosedBatcher), throttled forming candles for the hub, and hole reports for the
 * gap filler. Pure apart from the callbacks, so it is tested in-thread.
 */
export interface SeriesJobSinks {
  readonly closed: (seriesId: string, candle: Candle) => void;
  readonly forming: (seriesId: string, candle: Candle) => void;
  /** Candle times `from`..`to` (seconds, inclusive) are missing. */
  readonly gap: (series: BinanceSeries, from: number, to: number) => void;
}

/** Per-series numbers for the debug endpoint and metrics (plain object: crosses threads as is). */
export interface SeriesJobStats {
  seriesId: string;
  market: string;
  stream: string;
  startedAt: number;
  /** Kline frames routed to this series. */
  frames: number;
  closed: number;
  /** Newest closed candle_time known (seconds): seen live, or the store head given at start; null if neither. */
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
  /** Of the connection carrying the stream (shared with the other streams on it). */
  reconnects: number;
  /** Non-kline frames (replies, other events, garbage) on that connection. */
  skippedFrames: number;
}

export class SeriesJob {
  readonly startedAt: number;
  private readonly tracker: CloseTracker;
  private readonly throttle: FormingThrottle;
  private frames = 0;
  private closedCount = 0;
  private lastFrameAt: number | null = null;
  private closeLagMs: number | null = null;
  private gapFills = 0;
  private gapFilledCandles = 0;
  private gapFillErrors = 0;

  constructor(
    readonly series: BinanceSeries,
    private readonly sinks: SeriesJobSinks,
    formingMinIntervalMs: number,
    private readonly clock: Clock,
    /** Newest stored candle_time (store head), if known: the first close then reveals our own downtime. */
    head?: number | null,
  ) {
    this.startedAt = clock.now();
    this.tracker = new CloseTracker(series.tfSeconds, head ?? undefined);
    this.throttle = new FormingThrottle(formingMinIntervalMs, (c) => sinks.forming(series.seriesId, c), clock);
  }

  /** A deduplicated kline of this series' stream. */
  onKline(ev: KlineEvent): void {
    this.frames++;
    this.lastFrameAt = this.clock.now();
    if (!ev.closed) {
      this.throttle.forming(ev.candle, ev.eventTimeMs);
      return;
    }
    const t = ev.candle.candle_time;
    this.closedCount++;
    this.closeLagMs = ev.eventTimeMs - (t + this.series.tfSeconds) * 1000;
    const seen = this.tracker.observe(t);
    // Closed frames are the truth (sources.md): always stored, even a repeat (upsert is idempotent).
    this.sinks.closed(this.series.seriesId, ev.candle);
    this.throttle.closed(t);
    if (seen.kind === 'gap') this.sinks.gap(this.series, seen.from, seen.to);
  }

  /** The store head arrived after the job started (read from the writer). */
  seedHead(head: number): void {
    this.tracker.seed(head);
  }

  /** A gap fill of this series finished. */
  onGapFill(result: GapFillResult, candles: number): void {
    this.gapFills++;
    this.gapFilledCandles += candles;
    if (!result.ok) this.gapFillErrors++;
  }

  stop(): void {
    this.throttle.stop();
  }

  /** `connection`: stats of the connection carrying the stream (the engine looks them up). */
  stats(connection?: { reconnects: number; skipped: number }): SeriesJobStats {
    const forming = this.throttle.stats();
    return {
      seriesId: this.series.seriesId,
      market: this.series.market,
      stream: this.series.stream,
      startedAt: this.startedAt,
      frames: this.frames,
      closed: this.closedCount,
      lastClosedTime: this.tracker.last ?? null,
      lastFrameAt: this.lastFrameAt,
      closeLagMs: this.closeLagMs,
      formingReceived: forming.received,
      formingEmitted: forming.emitted,
      formingDropped: forming.dropped,
      gaps: this.tracker.gaps,
      missingBars: this.tracker.missingBars,
      gapFills: this.gapFills,
      gapFilledCandles: this.gapFilledCandles,
      gapFillErrors: this.gapFillErrors,
      reconnects: connection?.reconnects ?? 0,
      skippedFrames: connection?.skipped ?? 0,
    };
  }
}
