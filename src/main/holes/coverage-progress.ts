import type { BackfillProgress } from '../../ingest/contract.js';

/** Series whose last coverage run is remembered for health; the oldest is forgotten beyond it. */
const MAX_SERIES = 10_000;

type Running = { startedAt: number; updatedAt: number; missingBars: number; fetchedBars: number };

/**
 * Tail coverage runs as series health reports them (trade_canvas's backfill fields, issue 12):
 * the run in progress (when it began, how many bars of the tail were missing, how many came) and
 * how the last one ended — the same shape an ingest job reports for its own gap fills, so health
 * shows whichever of the two is running or ended last.
 */
export class CoverageProgress {
  private readonly series = new Map<string, { running: Running | null; last: BackfillProgress['last'] }>();

  /** A run began at `startedAt` for a tail that lacks `missingBars` closed bars. */
  started(seriesId: string, startedAt: number, missingBars: number): void {
    this.entry(seriesId).running = { startedAt, updatedAt: startedAt, missingBars: Math.max(0, missingBars), fetchedBars: 0 };
  }

  ended(seriesId: string, now: number, fetchedBars: number, error: string | null): void {
    const entry = this.series.get(seriesId);
    if (!entry?.running) return;
    const { startedAt, missingBars } = entry.running;
    const unfilledBars = Math.max(0, missingBars - fetchedBars);
    const outcome = error === null ? 'filled' : 'unfilled';
    entry.last = { startedAt, endedAt: now, missingBars: Math.max(missingBars, fetchedBars), unfilledBars: error === null ? 0 : unfilledBars, outcome, error };
    entry.running = null;
  }

  /** A run that turned out to need nothing (covered, store only, refused) leaves no trace. */
  dropped(seriesId: string): void {
    const entry = this.series.get(seriesId);
    if (entry) entry.running = null;
  }

  of(seriesId: string): BackfillProgress | null {
    const entry = this.series.get(seriesId);
    return entry && (entry.running || entry.last) ? { running: entry.running && { ...entry.running }, last: entry.last } : null;
  }

  private entry(seriesId: string): { running: Running | null; last: BackfillProgress['last'] } {
    let entry = this.series.get(seriesId);
    if (!entry) {
      if (this.series.size >= MAX_SERIES) this.series.delete(this.series.keys().next().value!);
      this.series.set(seriesId, (entry = { running: null, last: null }));
    }
    return entry;
  }
}
