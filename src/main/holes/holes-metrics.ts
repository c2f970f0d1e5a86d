import { candleCount } from '../../domain/candle.js';
import { parseSeriesId } from '../../domain/series-id.js';
import type { PrometheusText } from '../metrics/prometheus-text.js';

/** What a fetch brought (backfill-service.ts `Committed`), as far as counting goes. */
interface FetchFigures {
  readonly candles: Float64Array;
  readonly ok: boolean;
  readonly requests: number;
  readonly weight: number;
}

export type CoverageOutcome = 'covered' | 'failed' | 'unknown_symbol';

interface MarketCounters {
  coverageRuns: Record<CoverageOutcome, number>;
  coverageCandles: number;
  coverageRequests: number;
  coverageWeight: number;
  coverageSecondsSum: number;
  coverageSecondsMax: number;
  scrollbackReads: number;
  scrollbackCandles: number;
  scrollbackWeight: number;
  holeFills: number;
  holeFillFailures: number;
  holeFillCandles: number;
  holeFillWeight: number;
}

const P = 'kline_gateway_';

/**
 * Counters of the main thread's hole work (issue 11 "metrics and logs"), per market: tail
 * coverage runs and their outcome, candles fetched, REST requests and weight spent, time to
 * cover; scroll-back fetches; hub hole fills. Rendered at scrape time like every other metric.
 */
export class HolesMetrics {
  private readonly markets = new Map<string, MarketCounters>();
  /** Series waiting for or running tail coverage (set by TailCoverage). */
  pending = 0;
  /** Series read as they are because the coverage queue was full. */
  refused = 0;
  /** Reads that stopped waiting for their coverage after MARKET_TAIL_COVERAGE_WAIT_MS. */
  readTimeouts = 0;

  recordCoverage(seriesId: string, outcome: CoverageOutcome, seconds: number, fetched: readonly FetchFigures[]): void {
    const m = this.of(seriesId);
    m.coverageRuns[outcome]++;
    m.coverageSecondsSum += seconds;
    m.coverageSecondsMax = Math.max(m.coverageSecondsMax, seconds);
    for (const f of fetched) {
      m.coverageCandles += candleCount(f.candles);
      m.coverageRequests += f.requests;
      m.coverageWeight += f.weight;
    }
  }

  recordScrollback(seriesId: string, fetched: readonly FetchFigures[]): void {
    const m = this.of(seriesId);
    m.scrollbackReads++;
    for (const f of fetched) {
      m.scrollbackCandles += candleCount(f.candles);
      m.scrollbackWeight += f.weight;
    }
  }

  recordHoleFill(seriesId: string, fetched: FetchFigures): void {
    const m = this.of(seriesId);
    m.holeFills++;
    if (!fetched.ok) m.holeFillFailures++;
    m.holeFillCandles += candleCount(fetched.candles);
    m.holeFillWeight += fetched.weight;
  }

  render(out: PrometheusText): void {
    const each = (value: (m: MarketCounters) => number): Array<[{ market: string }, number]> => [...this.markets].map(([market, m]) => [{ market }, value(m)]);
    const runs: Array<[{ market: string; outcome: string }, number]> = [];
    for (const [market, m] of this.markets) for (const [outcome, n] of Object.entries(m.coverageRuns)) runs.push([{ market, outcome }, n]);
    out
      .metric(`${P}tail_coverage_runs_total`, 'counter', 'Tail coverage runs per market and outcome (covered, failed, unknown_symbol).', runs)
      .metric(
        `${P}tail_coverage_candles_total`,
        'counter',
        'Candles fetched from REST and committed by tail coverage.',
        each((m) => m.coverageCandles),
      )
      .metric(
        `${P}tail_coverage_rest_requests_total`,
        'counter',
        'REST requests of tail coverage.',
        each((m) => m.coverageRequests),
      )
      .metric(
        `${P}tail_coverage_rest_weight_total`,
        'counter',
        'REST request weight spent by tail coverage.',
        each((m) => m.coverageWeight),
      )
      .metric(
        `${P}tail_coverage_seconds_sum`,
        'counter',
        'Time to cover a tail (sum over runs, s).',
        each((m) => m.coverageSecondsSum),
      )
      .metric(
        `${P}tail_coverage_seconds_count`,
        'counter',
        'Tail coverage runs timed.',
        each((m) => sum(m.coverageRuns)),
      )
      .metric(
        `${P}tail_coverage_seconds_max`,
        'gauge',
        'Longest time to cover a tail so far (s).',
        each((m) => m.coverageSecondsMax),
      )
      .single(`${P}tail_coverage_pending`, 'gauge', 'Series waiting for or running tail coverage (bounded by MARKET_TAIL_COVERAGE_MAX_PENDING).', this.pending)
      .single(`${P}tail_coverage_refused_total`, 'counter', 'Series read without coverage because the coverage queue was full.', this.refused)
      .single(`${P}tail_coverage_read_timeouts_total`, 'counter', 'Reads that stopped waiting for their tail coverage.', this.readTimeouts)
      .metric(
        `${P}scrollback_reads_total`,
        'counter',
        'Scroll-back reads (`before=`) that asked the exchange.',
        each((m) => m.scrollbackReads),
      )
      .metric(
        `${P}scrollback_candles_total`,
        'counter',
        'Candles fetched from REST and committed for scroll-back.',
        each((m) => m.scrollbackCandles),
      )
      .metric(
        `${P}scrollback_rest_weight_total`,
        'counter',
        'REST request weight spent by scroll-back.',
        each((m) => m.scrollbackWeight),
      )
      .metric(
        `${P}hub_backfill_fills_total`,
        'counter',
        'Hub gap backfills that asked the exchange.',
        each((m) => m.holeFills),
      )
      .metric(
        `${P}hub_backfill_failures_total`,
        'counter',
        'Hub gap backfills that stopped short.',
        each((m) => m.holeFillFailures),
      )
      .metric(
        `${P}hub_backfill_candles_total`,
        'counter',
        'Candles fetched from REST and committed by hub gap backfill.',
        each((m) => m.holeFillCandles),
      )
      .metric(
        `${P}hub_backfill_rest_weight_total`,
        'counter',
        'REST request weight spent by hub gap backfill.',
        each((m) => m.holeFillWeight),
      );
  }

  private of(seriesId: string): MarketCounters {
    // Labels stay bounded whatever series clients name: only the two Binance markets are kept apart.
    let market = 'other';
    try {
      const parsed = parseSeriesId(seriesId).market;
      if (parsed === 'spot' || parsed === 'futures') market = parsed;
    } catch {
      // counted under "other"
    }
    let m = this.markets.get(market);
    if (!m) {
      m = {
        coverageRuns: { covered: 0, failed: 0, unknown_symbol: 0 },
        coverageCandles: 0,
        coverageRequests: 0,
        coverageWeight: 0,
        coverageSecondsSum: 0,
        coverageSecondsMax: 0,
        scrollbackReads: 0,
        scrollbackCandles: 0,
        scrollbackWeight: 0,
        holeFills: 0,
        holeFillFailures: 0,
        holeFillCandles: 0,
        holeFillWeight: 0,
      };
      this.markets.set(market, m);
    }
    return m;
  }
}

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

/** Candles, requests and weight of several fetches together (for a log line). */
export function fetchTotals(fetched: readonly FetchFigures[]): { candles: number; requests: number; weight: number } {
  let candles = 0;
  let requests = 0;
  let weight = 0;
  for (const f of fetched) {
    candles += candleCount(f.candles);
    requests += f.requests;
    weight += f.weight;
  }
  return { candles, requests, weight };
}
