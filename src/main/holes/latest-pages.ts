import { candleCount } from '../../domain/candle.js';
import { concatPacked, candlesAfter } from '../../domain/candle-batch.js';
import { sliceCandlesJson, type CandlesJsonText } from '../../protocol/candle-json-text.js';
import { needsOlderPages, newestPageCount, olderPages } from '../../domain/older-pages.js';
import { toWire } from '../../shared/errors.js';
import type { Committed, CommittedLatest } from './backfill-service.js';
import type { ExchangeKlines } from './exchange-klines.js';

/** Where the newest bars of a series are fetched from, and how they are made durable. */
export interface LatestPagesPlan {
  readonly exchange: ExchangeKlines;
  /** Commits fetched candles (unpublished); rejects when the store refuses them. */
  readonly commit: (candles: Float64Array) => Promise<void>;
  /** Rows of the exchange's largest klines page (1000 spot, 1500 futures). */
  readonly pageRows: number;
  readonly tfSeconds: number;
  /**
   * Called with each run of candles as soon as its commit is on its way (the writer works
   * meanwhile), with their answer JSON when the worker wrote it (see `json`).
   */
  readonly onCommitting?: (candles: Float64Array, json?: Uint8Array) => void;
  /** Ask the worker for the candles' answer JSON too (a read is waiting for them: prepared-json.ts). */
  readonly json?: boolean;
}

/** Names each run's pages fetched ahead in the worker (unique in this thread). */
let nextAheadId = 1;

/**
 * The newest `count` closed candles of a series after its stored head, fetched and committed page by page
 * (tail coverage, issue 11). The newest page goes first: its last row is the bar forming on the
 * exchange, which says where the exchange is, so the older pages follow from it by time alone and
 * go out together. Each page is committed as soon as it and every newer one are in, so a first
 * read waits for the commit of the page that arrived last, not for all of them.
 *
 * What is committed reaches back from the exchange's head without a break: when an older page
 * fails, it and every page older than it are dropped (a hole between stored runs would look
 * covered); the caller retries later.
 */
export async function fetchLatestPages(
  plan: LatestPagesPlan,
  seriesId: string,
  count: number,
  storedHead: number | null | Promise<number | null>,
): Promise<CommittedLatest> {
  const firstCount = newestPageCount(count, plan.pageRows);
  // The newest page does not depend on what is stored: it is on the wire while the head is read.
  // The worker asks for the older pages itself once it has scanned it and knows the head (the
  // same pages as below, from the same inputs: older-pages.ts), a thread hop sooner than we could.
  const json = plan.json === true && plan.onCommitting !== undefined;
  const ahead = { id: nextAheadId++, missing: count - firstCount };
  const newest = plan.exchange.fetchLatest(seriesId, firstCount, json, ahead);
  const head = Promise.resolve(storedHead).then(
    (h) => (plan.exchange.tailStoredHead(seriesId, ahead.id, h), h),
    (err: unknown) => {
      plan.exchange.tailStoredHead(seriesId, ahead.id, 'unknown');
      throw err;
    },
  );
  const [{ json: newestJson, ...newestPage }, after] = await Promise.all([newest, head]);
  const first = { ...newestPage, candles: candlesAfter(newestPage.candles, after) };
  const firstJson = newestJson && jsonFrom(newestJson, candleCount(newestPage.candles) - candleCount(first.candles));
  const oldest = candleCount(newestPage.candles) > 0 ? newestPage.candles[0]! : null;
  const ranges = needsOlderPages(candleCount(newestPage.candles), firstCount, oldest, after)
    ? olderPages(oldest!, ahead.missing, after, plan.pageRows, plan.tfSeconds)
    : [];
  if (!first.ok || ranges.length === 0) return withCommit(plan, first, first.candles, first.currentOpen, firstJson);

  const older = ranges.map((r) => plan.exchange.fetchClosed(seriesId, r.from, r.to, json, ahead.id).catch(failedFetch));
  // The older pages are the long wait: their requests have left from the worker already (or, when
  // it fetched none ahead, leave with these calls in the next microtasks); the newest page's commit
  // and its encoding start a turn later, so they fill the wait instead of taking the cores the
  // requests need.
  await new Promise((resolve) => setImmediate(resolve));
  const firstCommit = commitOf(plan, first.candles);
  plan.onCommitting?.(first.candles, firstJson);
  const olderCommits = await commitInOrder(plan, older);
  let requests = first.requests;
  let weight = first.weight;
  for (const page of olderCommits.pages) {
    requests += page.requests;
    weight += page.weight;
  }
  const firstOutcome = await firstCommit;
  if (firstOutcome !== null) return { candles: new Float64Array(0), ok: false, error: firstOutcome, requests, weight, currentOpen: first.currentOpen };
  const candles = concatPacked([...olderCommits.committed.reverse(), first.candles]);
  return { candles, ok: olderCommits.error === undefined, error: olderCommits.error, requests, weight, currentOpen: first.currentOpen };
}

/**
 * Commits each older page (newest first) as soon as it and every newer one have arrived whole, so
 * the last commit a read waits for is that of the page that arrived last, not of all of them, and
 * what is stored still reaches back from the head without a break. Stops at the first page that
 * failed (a short page is data: bars the exchange does not have, as in a maintenance window; a
 * failed one may have stopped anywhere) or whose commit failed.
 */
async function commitInOrder(
  plan: LatestPagesPlan,
  pages: ReadonlyArray<Promise<Committed & { readonly json?: CandlesJsonText }>>,
): Promise<{ pages: Committed[]; committed: Float64Array[]; error: Committed['error'] }> {
  const arrived: Array<(Committed & { readonly json?: CandlesJsonText }) | undefined> = new Array(pages.length);
  const commits: Array<{ candles: Float64Array; outcome: Promise<Committed['error'] | null> }> = [];
  let next = 0;
  let error: Committed['error'];
  const settle = () => {
    for (; error === undefined && next < pages.length && arrived[next] !== undefined; next++) {
      const page = arrived[next]!;
      if (!page.ok) {
        error = page.error ?? { code: 'network', message: 'an older page failed' };
        return;
      }
      if (page.candles.length === 0) continue;
      commits.push({ candles: page.candles, outcome: commitOf(plan, page.candles) });
      plan.onCommitting?.(page.candles, page.json?.bytes);
    }
  };
  const all = await Promise.all(
    pages.map((p, i) =>
      p.then((page) => {
        arrived[i] = page;
        settle();
        return page;
      }),
    ),
  );
  const committed: Float64Array[] = [];
  for (const c of commits) {
    const failure = await c.outcome;
    if (failure !== null) return { pages: all, committed, error: error ?? failure };
    committed.push(c.candles);
  }
  return { pages: all, committed, error };
}

async function withCommit(
  plan: LatestPagesPlan,
  fetched: Committed,
  candles: Float64Array,
  currentOpen: number | null,
  json?: Uint8Array,
): Promise<CommittedLatest> {
  if (candles.length === 0) return { ...fetched, candles, currentOpen };
  const commit = commitOf(plan, candles);
  plan.onCommitting?.(candles, json);
  const failure = await commit;
  if (failure !== null) return { ...fetched, candles: new Float64Array(0), ok: false, error: failure, currentOpen };
  return { ...fetched, candles, currentOpen };
}

/** The JSON of a page's candles from candle `from` on. */
function jsonFrom(json: CandlesJsonText, from: number): Uint8Array {
  return sliceCandlesJson(json, from).bytes;
}

/** Resolves null once committed, or the reason it was not (never rejects). */
function commitOf(plan: LatestPagesPlan, candles: Float64Array): Promise<Committed['error'] | null> {
  return plan.commit(candles).then(
    () => null,
    (err: unknown) => toWire(err),
  );
}

/** The worker could not be asked (it restarted): that page failed. */
function failedFetch(err: unknown): Committed {
  return { candles: new Float64Array(0), ok: false, error: toWire(err), requests: 0, weight: 0 };
}
