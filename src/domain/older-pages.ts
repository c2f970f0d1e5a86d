/**
 * Which older klines pages complete a series' tail once its newest page is in (tail coverage,
 * issue 11). Pure: the main thread (latest-pages.ts) and the ingest worker that asks for those
 * pages ahead of it (older-page-prefetch.ts) must arrive at exactly the same pages.
 */
export interface OlderPage {
  /** Open times (seconds) of the page's first and last bar, inclusive. */
  readonly from: number;
  readonly to: number;
}

/**
 * Closed bars the newest page asks for when `count` are wanted: a full page (it also carries the
 * bar still forming). It goes out alone and is the exchange's longest answer; the older pages
 * follow it together.
 */
export function newestPageCount(count: number, pageRows: number): number {
  return Math.min(count, pageRows - 1);
}

/**
 * The pages before the bar opened at `oldest` (seconds), newest first: `missing` bars at most, none
 * at or before `after` (the stored head), none before time 0, in as few pages of at most
 * `pageRows` bars as that takes, of even size. Even pages keep the work after the last one
 * arrives small: it is scanned, committed and answered with nothing left to overlap, and the
 * commit of the page before it is still running (1,000 + 1 rows left a full page's work there).
 */
export function olderPages(oldest: number, missing: number, after: number | null, pageRows: number, tfSeconds: number): OlderPage[] {
  if (after !== null) missing = Math.min(missing, Math.round((oldest - after) / tfSeconds) - 1);
  const perPage = missing > 0 ? Math.ceil(missing / Math.ceil(missing / pageRows)) : 0;
  const pages: OlderPage[] = [];
  for (let to = oldest - tfSeconds; missing > 0 && to >= 0;) {
    const rows = Math.min(perPage, missing, Math.floor(to / tfSeconds) + 1);
    const from = to - (rows - 1) * tfSeconds;
    pages.push({ from, to });
    missing -= rows;
    to = from - tfSeconds;
  }
  return pages;
}

/**
 * Whether the newest page asks for older ones at all: it came back full (`closedRows` = the bars
 * asked for) and its oldest bar is newer than the stored head (else it reached what is stored).
 */
export function needsOlderPages(closedRows: number, asked: number, oldest: number | null, after: number | null): boolean {
  return closedRows === asked && oldest !== null && (after === null || oldest > after);
}
