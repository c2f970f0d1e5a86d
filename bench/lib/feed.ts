import type { Candle } from '../../src/domain/candle.js';

/**
 * Synthetic market feed for the fan-out benchmark: per series, forming updates and closed
 * candles at fixed rates. Each candle's `volume` carries its send time (ms since the epoch, µs
 * precision) so clients measure ingest → receipt latency.
 */
export interface FeedOptions {
  readonly series: readonly string[];
  readonly formingPerSecond: number;
  readonly closedPerSecond: number;
  readonly durationMs: number;
}

export interface FeedSink {
  forming(seriesIndex: number, candle: Candle): void;
  /** All closed candles due in one tick, per series index (one write / one publish round). */
  closed(batch: ReadonlyArray<{ seriesIndex: number; candle: Candle }>): void;
}

export interface FeedStats {
  forming: number;
  closed: number;
}

const TICK_MS = 5;

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function runFeed(options: FeedOptions, sink: FeedSink): Promise<FeedStats> {
  const stats: FeedStats = { forming: 0, closed: 0 };
  const times = options.series.map(() => 1_700_000_000);
  const started = nowMs();
  let formingDue = 0;
  let closedDue = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const elapsed = nowMs() - started;
      const formingTarget = Math.floor((elapsed / 1000) * options.formingPerSecond);
      const closedTarget = Math.floor((elapsed / 1000) * options.closedPerSecond);
      while (formingDue < formingTarget) {
        formingDue++;
        for (let s = 0; s < options.series.length; s++) {
          sink.forming(s, { candle_time: times[s]! + 60, open: 100.5, high: 101.25, low: 99.75, close: 100 + (formingDue % 100) / 100, volume: nowMs() });
          stats.forming++;
        }
      }
      if (closedDue < closedTarget) {
        const batch: Array<{ seriesIndex: number; candle: Candle }> = [];
        while (closedDue < closedTarget) {
          closedDue++;
          for (let s = 0; s < options.series.length; s++) {
            times[s]! += 60;
            batch.push({ seriesIndex: s, candle: { candle_time: times[s]!, open: 100.5, high: 101.25, low: 99.75, close: 100.125, volume: nowMs() } });
          }
        }
        stats.closed += batch.length;
        sink.closed(batch);
      }
      if (elapsed >= options.durationMs) resolve(stats);
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
}
