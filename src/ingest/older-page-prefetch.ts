import { needsOlderPages, olderPages } from '../domain/older-pages.js';
import type { GapFillResult } from '../exchange/binance/binance-rest.js';
import type { StoredHead } from './contract.js';

/** What the newest page of a run said, and what the run wants older than it. */
export interface NewestPage {
  readonly seriesId: string;
  readonly tfSeconds: number;
  /** Rows of the market's largest klines page. */
  readonly pageRows: number;
  /** Closed bars the newest page asked for, and the bars wanted older than them. */
  readonly asked: number;
  readonly missing: number;
  readonly json: boolean;
  /**
   * The page's closed candles: how many, and the first one's open time (seconds; null when none).
   * Numbers, not the candles: the page's buffer is transferred to the main thread with the reply,
   * which leaves an array kept here empty when the stored head arrives after it.
   */
  readonly rows: number;
  readonly oldest: number | null;
}

/** Runs whose stored head or newest page is still awaited: a run the main thread gave up on is forgotten after this many newer ones. */
const MAX_OPEN_RUNS = 256;
/** Pages fetched ahead and not claimed yet (the main thread claims each within a turn or two). */
const MAX_UNCLAIMED_PAGES = 256;

/**
 * Tail coverage's older pages, asked for by the ingest worker the moment the newest page is
 * scanned (issue 11), instead of after the page has gone to the main thread and the main
 * thread's requests for them have come back: on a first open that hop is on the critical path.
 *
 * The main thread still decides: it sends the run's stored head (`storedHead`), computes the
 * same pages from the same inputs (older-pages.ts) and asks for each with the run's id
 * (`claim`); a page it asks for that was not fetched ahead is fetched then, as before. Nothing
 * is fetched ahead before the stored head is known, so a series whose newest page reaches what
 * is stored costs no request more. A run the main thread abandons leaves at most its pages
 * fetched once, then forgotten (bounded).
 */
export class OlderPagePrefetch {
  private readonly runs = new Map<number, { head?: StoredHead; newest?: NewestPage | null }>();
  private readonly pages = new Map<string, Promise<GapFillResult>>();
  private readonly counters = { fetched: 0, claimed: 0, dropped: 0 };

  constructor(private readonly fetchRange: (seriesId: string, from: number, to: number, json: boolean) => Promise<GapFillResult>) {}

  /** The main thread's stored head for run `id` ('unknown' when it could not read it: nothing is fetched ahead). */
  storedHead(id: number, head: StoredHead): void {
    this.meet(id, { head });
  }

  /** Run `id`'s newest page, scanned (null: it failed, nothing older is wanted). */
  newestScanned(id: number, newest: NewestPage | null): void {
    this.meet(id, { newest });
  }

  /** The page `from`..`to` of run `id` when it was fetched ahead (taken: a page is claimed once). */
  claim(id: number, from: number, to: number): Promise<GapFillResult> | undefined {
    const key = pageKey(id, from, to);
    const page = this.pages.get(key);
    if (page === undefined) return undefined;
    this.pages.delete(key);
    this.counters.claimed++;
    return page;
  }

  stats(): { fetched: number; claimed: number; dropped: number } {
    return { ...this.counters };
  }

  private meet(id: number, part: { head?: StoredHead; newest?: NewestPage | null }): void {
    const run = { ...this.runs.get(id), ...part };
    if (run.head === undefined || run.newest === undefined) {
      this.runs.set(id, run);
      if (this.runs.size > MAX_OPEN_RUNS) this.runs.delete(this.runs.keys().next().value!);
      return;
    }
    this.runs.delete(id);
    const { head, newest } = run;
    if (newest === null || head === 'unknown') return;
    const { oldest } = newest;
    if (oldest === null || !needsOlderPages(newest.rows, newest.asked, oldest, head)) return;
    for (const page of olderPages(oldest, newest.missing, head, newest.pageRows, newest.tfSeconds)) {
      this.pages.set(pageKey(id, page.from, page.to), this.fetchRange(newest.seriesId, page.from, page.to, newest.json));
      this.counters.fetched++;
      if (this.pages.size > MAX_UNCLAIMED_PAGES) {
        this.pages.delete(this.pages.keys().next().value!);
        this.counters.dropped++;
      }
    }
  }
}

function pageKey(id: number, from: number, to: number): string {
  return `${id}|${from}|${to}`;
}
