import { binanceSeriesOf } from '../../domain/binance-symbols.js';
import { parseSeriesId } from '../../domain/series-id.js';
import { CANDLE_STRIDE, candleCount } from '../../domain/candle.js';
import { systemClock, type Clock, type Timer } from '../../shared/clock.js';
import { describeError, type GatewayError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { Config } from '../config/settings.js';
import type { PreparedCandleJson } from '../hub/prepared-json.js';
import type { MarketStore } from '../store/market-store.js';
import type { BackfillService, Committed } from './backfill-service.js';
import { CoverageBook } from './coverage-book.js';
import { CoverageProgress } from './coverage-progress.js';
import { fetchTotals as totals, type CoverageOutcome, type HolesMetrics } from './holes-metrics.js';
import { missingRanges, tailWindowStart } from './tail-plan.js';
import { withinWait } from './within-wait.js';

const log = createLogger('holes.tail');

/** Coverage runs at once; the rest wait their turn (the REST budget paces the requests anyway). */
const CONCURRENT_RUNS = 4;
/** Holes in the stored part of a window asked for one by one; beyond, one range spans them. */
const MAX_RANGES = 8;
/** An unknown symbol (-1121) is not asked about again for this long (it may be listed later). */
const UNKNOWN_SYMBOL_TTL_MS = 10 * 60_000;
/** Failed runs are retried in the background this many times; later, a read starts the next one. */
const BACKGROUND_RETRIES = 5;
const MAX_RETRY_MS = 10 * 60_000;

/** TRADE_CANVAS_ENABLE_MARKET_TAIL_COVERAGE: `auto` (unset) = on when live ingest is on (issue 11). */
export function tailCoverageEnabled(config: Pick<Config, 'enableTailCoverage' | 'enableWhitelistIngest' | 'enableOndemandIngest'>): boolean {
  return config.enableTailCoverage ?? (config.enableWhitelistIngest || config.enableOndemandIngest);
}

export interface TailCoverageOptions {
  readonly store: Pick<MarketStore, 'tail' | 'head'>;
  /**
   * The stored tail (default `store.tail`). The gateway passes a read through the tail cache: the
   * series is then cached when its coverage commits, and the read that waited is answered from
   * memory instead of reading the 2,000 candles back from the writer.
   */
  readonly readTail?: (seriesId: string, count: number) => Promise<{ readonly data: Float64Array; readonly head: number | null }>;
  readonly backfill: Pick<BackfillService, 'fetchLatest' | 'fetchRange' | 'hasExchange'>;
  /** freqtrade bootstrap (file, then the download trigger), run first when that source is on. */
  readonly history: { ensure(seriesId: string): Promise<unknown> } | null;
  readonly settings: Pick<Config, 'tailCandles' | 'tailCoverageWaitMs' | 'tailCoverageMaxPending' | 'tailCoverageRetryS'>;
  readonly metrics: HolesMetrics;
  /**
   * Where text for a waiting read's answer is made while its candles are committed (the reader
   * takes it: prepared-json.ts); none when absent.
   */
  readonly prepared?: Pick<PreparedCandleJson, 'prepare'>;
  readonly clock?: Clock;
}

/**
 * Tail coverage (contract §2 "first read of a series", issue 11): before a series is first read
 * (HTTP without `since`, WebSocket catch-up or snapshot) or its ingest job starts, the store must
 * hold its latest `MARKET_TAIL_CANDLES` closed bars up to the exchange's last closed bar. What is
 * missing comes from the freqtrade file first, then the download trigger, then Binance REST (the
 * newest bars in one backward fetch, then the holes of the stored part), committed through the
 * writer; only then does the read answer, so a chart needs exactly one GET. The read waits at
 * most `MARKET_TAIL_COVERAGE_WAIT_MS`, then answers from what is stored while the run goes on.
 *
 * One run per series at a time (concurrent first reads share it); a covered series is not
 * fetched again while its stored head keeps up with the exchange (its job's closes do that); when
 * the head falls behind, only the missing bars are fetched. Unknown symbols answer
 * `unknown_symbol` (HTTP 404) for a while without asking again; failed runs are logged once and
 * retried with backoff. At most `MARKET_TAIL_COVERAGE_MAX_PENDING` series wait or run; beyond,
 * a read is answered from the store at once (counted, logged).
 */
export class TailCoverage {
  private readonly book = new CoverageBook();
  /** Runs as series health shows them (`progressOf`). */
  private readonly progress = new CoverageProgress();
  private readonly running = new Map<string, Promise<void>>();
  private readonly queue: Array<() => void> = [];
  private readonly retryTimers = new Map<string, Timer>();
  private readonly slowReadsLogged = new Set<string>();
  /** Series a read is waiting for (their fetched candles are worth encoding ahead). */
  private readonly awaited = new Set<string>();
  private active = 0;
  private refusalLogged = false;
  private closed = false;
  private readonly clock: Clock;

  constructor(private readonly opts: TailCoverageOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Covers a series unless it is covered (or not due); resolves when done, never rejects. */
  ensure(seriesId: string): Promise<void> {
    const running = this.running.get(seriesId);
    if (running) return running;
    if (this.closed || !this.due(seriesId)) return Promise.resolve();
    if (this.running.size >= this.opts.settings.tailCoverageMaxPending) {
      this.opts.metrics.refused++;
      if (!this.refusalLogged)
        log.warn('tail coverage queue full; reading series as stored', { seriesId, maxPending: this.opts.settings.tailCoverageMaxPending });
      this.refusalLogged = true;
      return Promise.resolve();
    }
    this.refusalLogged = false;
    const run = this.inTurn(() => this.cover(seriesId)).finally(() => {
      this.running.delete(seriesId);
      this.awaited.delete(seriesId);
      this.opts.metrics.pending = this.running.size;
    });
    this.running.set(seriesId, run);
    this.opts.metrics.pending = this.running.size;
    return run;
  }

  /**
   * CandleReader's pre-read hook: undefined (no wait at all) for a series that needs nothing;
   * else waits for its coverage, at most MARKET_TAIL_COVERAGE_WAIT_MS. Rejects with
   * `unknown_symbol` when Binance does not know the symbol and nothing is stored for it.
   */
  readonly beforeRead = (seriesId: string): Promise<void> | undefined => {
    const refused = this.refusal(seriesId);
    if (refused) return Promise.reject(refused);
    if (!this.running.has(seriesId) && !this.due(seriesId)) return undefined;
    const run = this.ensure(seriesId);
    if (this.running.has(seriesId)) this.awaited.add(seriesId);
    const wait = withinWait(run, this.opts.settings.tailCoverageWaitMs, this.clock, () => {
      this.opts.metrics.readTimeouts++;
      if (this.slowReadsLogged.has(seriesId)) return;
      this.slowReadsLogged.add(seriesId);
      log.warn('tail coverage still running; answering the read from what is stored', { seriesId, waitedMs: this.opts.settings.tailCoverageWaitMs });
    });
    return wait.then(() => {
      const refusal = this.refusal(seriesId);
      if (refusal) throw refusal;
    });
  };

  /** Stops retries and new runs (graceful stop); runs in flight end with their fetches. */
  close(): void {
    this.closed = true;
    for (const timer of this.retryTimers.values()) this.clock.clearTimeout(timer);
    this.retryTimers.clear();
  }

  /** The series' coverage run in progress and how its last one ended (series health), or null. */
  progressOf(seriesId: string): ReturnType<CoverageProgress['of']> {
    return this.progress.of(seriesId);
  }

  /** The error reads of a series get while the exchange cannot have it and nothing is stored, else null. */
  refusal(seriesId: string): GatewayError | null {
    return this.book.refusal(seriesId, this.clock.now());
  }

  /** Whether a run is worth starting now (its cheap part: no store read). */
  private due(seriesId: string): boolean {
    return this.book.due(seriesId, this.clock.now(), tfMs(seriesId));
  }

  private inTurn(run: () => Promise<void>): Promise<void> {
    const start = () => {
      this.active++;
      return run().finally(() => {
        this.active--;
        this.queue.shift()?.();
      });
    };
    if (this.active < CONCURRENT_RUNS) return start();
    return new Promise<void>((resolve) => this.queue.push(() => void start().finally(resolve)));
  }

  private async cover(seriesId: string): Promise<void> {
    const started = this.clock.now();
    try {
      await this.opts.history?.ensure(seriesId); // never rejects
      if (!this.opts.backfill.hasExchange) return this.book.set(seriesId, { kind: 'store_only' });
      const parsed = parseSeriesId(seriesId);
      if (parsed.exchange !== 'binance' || (parsed.market !== 'spot' && parsed.market !== 'futures')) return this.book.set(seriesId, { kind: 'store_only' });
      let tf: number;
      try {
        tf = binanceSeriesOf(parsed).tfSeconds;
      } catch (err) {
        // A timeframe (7m) or symbol Binance lacks: bad_request, unless the store has it anyway.
        const stored = await this.opts.store.head(seriesId);
        return this.book.set(
          seriesId,
          stored !== null ? { kind: 'store_only' } : { kind: 'refused', code: 'bad_request', message: describeError(err), until: Infinity },
        );
      }
      const state = this.book.get(seriesId);
      if (state?.kind === 'covered' && (await this.keepsUp(seriesId, state, tf))) {
        state.checkedAt = this.clock.now();
        return;
      }
      await this.fetchTail(seriesId, tf, started);
    } catch (err) {
      // The store refused a read (writer restarting, stopping): a later read tries again.
      this.failed(seriesId, started, 'store', describeError(err), []);
    }
  }

  /** A covered series whose stored head is within a bar of the exchange needs nothing. */
  private async keepsUp(seriesId: string, state: Extract<ReturnType<CoverageBook['get']>, { kind: 'covered' }>, tf: number): Promise<boolean> {
    if (state.exchangeOffsetMs === null) return false;
    const head = await this.opts.store.head(seriesId);
    const exchangeNowS = (this.clock.now() + state.exchangeOffsetMs) / 1000;
    const lastClosed = Math.floor(exchangeNowS / tf) * tf - tf;
    return head !== null && head >= lastClosed - tf;
  }

  private async fetchTail(seriesId: string, tf: number, started: number): Promise<void> {
    const count = this.opts.settings.tailCandles;
    const storedRead = (this.opts.readTail ?? ((s, n) => this.opts.store.tail(s, n)))(seriesId, count);
    const prepared = this.opts.prepared;
    const onCommitting = prepared
      ? (candles: Float64Array, json?: Uint8Array) => this.awaited.has(seriesId) && prepared.prepare(seriesId, candles, json)
      : undefined;
    // The exchange's newest page does not wait for the stored tail: it is asked for meanwhile.
    // A read waits (it started this run): the worker writes the answer's JSON as it reads the pages.
    const latestRun = this.opts.backfill.fetchLatest(
      seriesId,
      count,
      storedRead.then((s) => s.head),
      onCommitting,
      this.awaited.has(seriesId),
    );
    const stored = await storedRead;
    // At most the bars the stored tail lacks (fewer when the exchange lists the symbol later).
    this.progress.started(seriesId, started, count - candleCount(stored.data));
    const latest = await latestRun;
    const fetched: Committed[] = [latest];
    if (!latest.ok) {
      if (latest.error?.code === 'unknown_symbol') this.progress.dropped(seriesId);
      if (latest.error?.code === 'unknown_symbol' && candleCount(stored.data) === 0) return this.unknown(seriesId, started, latest.error.message);
      if (latest.error?.code === 'unknown_symbol') return this.book.set(seriesId, { kind: 'store_only' }); // stored by other means: serve it
      return this.failed(seriesId, started, latest.error?.code ?? 'error', latest.error?.message ?? '', fetched);
    }
    if (latest.currentOpen !== null && stored.head !== null && candleCount(latest.candles) < count) {
      // The newest bars came down to the stored head; the holes of the stored part are left.
      const lastClosed = latest.currentOpen - tf;
      const times = Array.from({ length: candleCount(stored.data) }, (_, i) => stored.data[i * CANDLE_STRIDE]!);
      for (const [from, to] of missingRanges(times, tailWindowStart(lastClosed, count, tf), Math.min(stored.head, lastClosed), tf, MAX_RANGES)) {
        const range = await this.opts.backfill.fetchRange(seriesId, from, to);
        fetched.push(range);
        if (!range.ok) return this.failed(seriesId, started, range.error?.code ?? 'error', range.error?.message ?? '', fetched);
      }
    }
    const now = this.clock.now();
    const offset = latest.currentOpen === null ? null : latest.currentOpen * 1000 - now;
    const failures = this.book.failures(seriesId);
    this.book.set(seriesId, { kind: 'covered', exchangeOffsetMs: offset, checkedAt: now });
    this.progress.ended(seriesId, now, totals(fetched).candles, null);
    this.slowReadsLogged.delete(seriesId);
    const seconds = (now - started) / 1000;
    this.opts.metrics.recordCoverage(seriesId, 'covered', seconds, fetched);
    log.info('tail covered from REST', { seriesId, ...totals(fetched), ms: now - started, ...(failures > 0 ? { afterFailures: failures } : {}) });
  }

  private unknown(seriesId: string, started: number, message: string): void {
    const until = this.clock.now() + UNKNOWN_SYMBOL_TTL_MS;
    this.book.set(seriesId, { kind: 'refused', code: 'unknown_symbol', message: `binance does not know this symbol (${message})`, until });
    this.record(seriesId, 'unknown_symbol', started, []);
    log.warn('binance does not know this symbol; reads answer unknown_symbol for a while', { seriesId, ttlMs: UNKNOWN_SYMBOL_TTL_MS });
  }

  private failed(seriesId: string, started: number, code: string, message: string, fetched: Committed[]): void {
    const failures = this.book.failures(seriesId) + 1;
    const retryMs = Math.min(MAX_RETRY_MS, this.opts.settings.tailCoverageRetryS * 1000 * 2 ** (failures - 1));
    this.book.set(seriesId, { kind: 'failed', retryAt: this.clock.now() + retryMs, failures });
    this.progress.ended(seriesId, this.clock.now(), totals(fetched).candles, `${code}: ${message}`);
    this.record(seriesId, 'failed', started, fetched);
    // Logged once per streak of failures: a banned IP must not flood the log with one line per read.
    const fields = { seriesId, code, error: message, ...totals(fetched), retryInMs: retryMs, failures };
    if (failures === 1) log.warn('tail coverage stopped short; reads answer what is stored until a later try completes it', fields);
    else log.debug('tail coverage failed again', fields);
    if (failures <= BACKGROUND_RETRIES && !this.closed) this.retryLater(seriesId, retryMs);
  }

  private retryLater(seriesId: string, ms: number): void {
    const previous = this.retryTimers.get(seriesId);
    if (previous !== undefined) this.clock.clearTimeout(previous);
    const timer = this.clock.setTimeout(() => {
      this.retryTimers.delete(seriesId);
      void this.ensure(seriesId);
    }, ms);
    this.retryTimers.set(seriesId, timer);
  }

  private record(seriesId: string, outcome: CoverageOutcome, started: number, fetched: Committed[]): void {
    this.opts.metrics.recordCoverage(seriesId, outcome, (this.clock.now() - started) / 1000, fetched);
  }
}

function tfMs(seriesId: string): number {
  try {
    return binanceSeriesOf(seriesId).tfSeconds * 1000;
  } catch {
    return 60_000;
  }
}
