/**
 * Progress of one series' gap fills as health reports it (trade_canvas's backfill fields,
 * issue 12): the hold in progress — when it began, how many bars it asked REST for, how many
 * came back — and how the last one ended. Plain data, so it crosses threads inside the job's stats.
 */
export interface BackfillProgress {
  readonly running: {
    readonly startedAt: number;
    /** Last time bars were asked for or arrived (ms). */
    readonly updatedAt: number;
    readonly missingBars: number;
    readonly fetchedBars: number;
  } | null;
  readonly last: {
    readonly startedAt: number;
    readonly endedAt: number;
    readonly missingBars: number;
    /** Bars the hold went on without (0 when everything was filled). */
    readonly unfilledBars: number;
    /** filled: every bar came; unfilled: REST had no data or kept failing; bound: held too long or too many. */
    readonly outcome: 'filled' | 'unfilled' | 'bound';
    readonly error: string | null;
  } | null;
}

type Running = { startedAt: number; updatedAt: number; missingBars: number; fetchedBars: number };

export class HoldProgress {
  private running: Running | null = null;
  private last: BackfillProgress['last'] = null;

  /** Bars `count` are missing (a hole of the current hold, which starts now if none runs). */
  asked(count: number, now: number): void {
    this.running ??= { startedAt: now, updatedAt: now, missingBars: 0, fetchedBars: 0 };
    this.running.missingBars += count;
    this.running.updatedAt = now;
  }

  fetched(count: number, now: number): void {
    if (!this.running || count <= 0) return;
    this.running.fetchedBars = Math.min(this.running.missingBars, this.running.fetchedBars + count);
    this.running.updatedAt = now;
  }

  ended(now: number, outcome: 'filled' | 'unfilled' | 'bound', unfilledBars: number, error: string | null): void {
    if (!this.running) return;
    const { startedAt, missingBars } = this.running;
    this.last = { startedAt, endedAt: now, missingBars, unfilledBars, outcome, error };
    this.running = null;
  }

  /** The job stopped mid-hold: nothing ran to an end. */
  cancel(): void {
    this.running = null;
  }

  snapshot(): BackfillProgress {
    return { running: this.running && { ...this.running }, last: this.last };
  }
}
