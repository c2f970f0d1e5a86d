import type { CandleBook } from './candle-book.js';
import { getCandles } from './candles-http.js';
import type { FetchLike } from './transport.js';

/** Bars asked for per scroll-back page (the server's bound is 5000; a page is one request). */
export const OLDER_LIMIT = 1000;

export type OlderOutcome =
  /** `added` bars are now before the ones shown. */
  | { readonly kind: 'loaded'; readonly added: number }
  /** The server has nothing older: not asked again for this selection. */
  | { readonly kind: 'exhausted' }
  /** A page is already on its way, or there is nothing to page back from yet. */
  | { readonly kind: 'busy' }
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * Scroll-back of one series selection (issue 11): `GET …&before=<first bar>&limit=1000`, one page
 * at a time, merged before the bars held. The gateway fetches from the exchange what its store
 * lacks, so paging back goes as far as the exchange's history.
 */
export class OlderBars {
  private loading = false;
  private exhausted = false;

  constructor(
    private readonly seriesId: string,
    private readonly fetch: FetchLike,
    private readonly httpBase: string,
    private readonly book: CandleBook,
    /** False once the page has moved on to another series (the book is then another series'). */
    private readonly isCurrent: () => boolean,
  ) {}

  async load(): Promise<OlderOutcome> {
    const first = this.book.firstClosedTime;
    if (this.exhausted) return { kind: 'exhausted' };
    if (this.loading || first === null) return { kind: 'busy' };
    this.loading = true;
    try {
      const result = await getCandles(this.fetch, this.httpBase, { seriesId: this.seriesId, before: first, limit: OLDER_LIMIT });
      if (!this.isCurrent()) return { kind: 'busy' };
      if (!result.ok) return { kind: 'failed', reason: result.reason };
      const added = this.book.prependOlder(result.candles);
      if (added === 0) this.exhausted = true;
      return added === 0 ? { kind: 'exhausted' } : { kind: 'loaded', added };
    } finally {
      this.loading = false;
    }
  }
}
