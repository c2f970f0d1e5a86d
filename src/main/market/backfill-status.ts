import type { BackfillProgress } from '../../ingest/contract.js';
import { parseSeriesId } from '../../domain/series-id.js';
import type { SeriesIngestView } from '../supervisor/ingest-plugin.js';

/** trade_canvas's backfill fields of `GET /api/market/health` (times in Unix seconds). */
export interface BackfillView {
  readonly state: 'idle' | 'running' | 'succeeded' | 'failed';
  readonly progress_pct: number | null;
  readonly started_at: number | null;
  readonly updated_at: number | null;
  readonly reason: string | null;
  readonly note: string | null;
  readonly error: string | null;
  readonly start_missing_seconds: number;
  readonly start_missing_candles: number;
  readonly current_missing_seconds: number;
  readonly current_missing_candles: number;
}

export interface SeriesBackfill {
  readonly view: BackfillView;
  /** Exchange minus local clock (ms) where the series is ingested, so health's now follows exchange time; null when unknown. */
  readonly exchangeOffsetMs: number | null;
}

/**
 * Where series health reads a series' gap-fill state. Today: the ingest job's hold progress,
 * through the supervisor (IngestBackfillStatus); a backfill service can take its place later
 * without health changing.
 */
export interface BackfillStatus {
  of(seriesId: string): Promise<SeriesBackfill>;
}

/**
 * Why bars were fetched: `gap_fill` — holes a live ingest job found (its store head → now,
 * reconnects, drops); `tail_coverage` — the series' latest MARKET_TAIL_CANDLES on first read.
 */
export type BackfillReason = 'gap_fill' | 'tail_coverage';

export const IDLE_BACKFILL: BackfillView = Object.freeze({
  state: 'idle',
  progress_pct: progressPct(0, 0),
  started_at: null,
  updated_at: null,
  reason: null,
  note: null,
  error: null,
  start_missing_seconds: 0,
  start_missing_candles: 0,
  current_missing_seconds: 0,
  current_missing_candles: 0,
});

/** No live ingest: every series is idle. */
export const NO_BACKFILL: BackfillStatus = { of: async () => ({ view: IDLE_BACKFILL, exchangeOffsetMs: null }) };

/** The ingest supervisor's view of a series, as backfill fields. */
export class IngestBackfillStatus implements BackfillStatus {
  constructor(private readonly source: (seriesId: string) => Promise<SeriesIngestView | null>) {}

  async of(seriesId: string): Promise<SeriesBackfill> {
    const view = await this.source(seriesId);
    const progress = view?.job?.backfill;
    return { view: progress ? backfillView(progress, parseSeriesId(seriesId).tfSeconds) : IDLE_BACKFILL, exchangeOffsetMs: view?.exchangeOffsetMs ?? null };
  }
}

/** A job's hold progress (ms, bars) → the payload's fields (seconds, candles). */
export function backfillView(p: BackfillProgress, tfSeconds: number, reason: BackfillReason = 'gap_fill'): BackfillView {
  const s = (ms: number) => Math.floor(ms / 1000);
  if (p.running) {
    const { missingBars, fetchedBars } = p.running;
    const left = Math.max(0, missingBars - fetchedBars);
    return {
      state: 'running',
      progress_pct: progressPct(missingBars * tfSeconds, left * tfSeconds),
      started_at: s(p.running.startedAt),
      updated_at: s(p.running.updatedAt),
      reason,
      note: `${fetchedBars} of ${missingBars} missing candles fetched`,
      error: null,
      start_missing_seconds: missingBars * tfSeconds,
      start_missing_candles: missingBars,
      current_missing_seconds: left * tfSeconds,
      current_missing_candles: left,
    };
  }
  if (p.last) {
    const { missingBars, unfilledBars } = p.last;
    return {
      state: p.last.outcome === 'filled' ? 'succeeded' : 'failed',
      progress_pct: progressPct(missingBars * tfSeconds, unfilledBars * tfSeconds),
      started_at: s(p.last.startedAt),
      updated_at: s(p.last.endedAt),
      reason,
      note: p.last.outcome === 'filled' ? `${missingBars} missing candles filled` : `${missingBars - unfilledBars} of ${missingBars} missing candles filled`,
      error: p.last.error,
      start_missing_seconds: missingBars * tfSeconds,
      start_missing_candles: missingBars,
      current_missing_seconds: unfilledBars * tfSeconds,
      current_missing_candles: unfilledBars,
    };
  }
  return IDLE_BACKFILL;
}

/** trade_canvas's `_calc_progress_pct`: done / start in %, 100 when nothing was missing. */
function progressPct(startMissing: number, currentMissing: number): number | null {
  if (startMissing <= 0) return currentMissing <= 0 ? 100 : null;
  return Math.max(0, Math.min(100, ((startMissing - Math.max(0, currentMissing)) / startMissing) * 100));
}

/**
 * Health's backfill fields from both kinds of fill: the ingest job's gap fills and tail coverage.
 * A running one wins (coverage runs before a job starts); else the one that ended last.
 */
export class CombinedBackfillStatus implements BackfillStatus {
  constructor(
    private readonly ingest: BackfillStatus,
    private readonly coverage: { progressOf(seriesId: string): BackfillProgress | null },
  ) {}

  async of(seriesId: string): Promise<SeriesBackfill> {
    const fromIngest = await this.ingest.of(seriesId);
    const progress = this.coverage.progressOf(seriesId);
    if (!progress) return fromIngest;
    const covered = backfillView(progress, parseSeriesId(seriesId).tfSeconds, 'tail_coverage');
    const job = fromIngest.view;
    const view = covered.state === 'running' ? covered : job.state === 'running' ? job : (covered.updated_at ?? 0) >= (job.updated_at ?? 0) ? covered : job;
    return { view, exchangeOffsetMs: fromIngest.exchangeOffsetMs };
  }
}
