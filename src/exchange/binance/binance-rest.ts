import { request, type Dispatcher } from 'undici';
import { readKlinePage, type KlinePage, type KlinePageOptions } from '../../domain/binance-kline-page.js';
import { candlesJsonFromDecimals, type CandlesJsonText } from '../../protocol/candle-json-text.js';
import type { LiveMarket } from '../../domain/series-id.js';
import { describeError } from '../../shared/errors.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { MARKET_LIMITS } from './binance-endpoints.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { WeightBudget } from './weight-budget.js';
import { concatPacked } from '../../domain/candle-batch.js';
import { binanceErrorCode, header, retryAfterMs } from './rest-answer.js';

export { retryAfterMs } from './rest-answer.js';

/**
 * The one Binance REST client of the gateway (any thread: ingest workers fill gaps with it, the
 * main thread's market list reads tickers and symbols with it). Every request is charged against
 * a weight budget (weight-budget.ts) before it goes out, `X-MBX-USED-WEIGHT-1M` corrects the
 * budget, a 429 blocks every request of the budget for its Retry-After and a 418 (IP banned)
 * stops the call (sources.md "Binance REST klines").
 *
 * `fetchClosed` is the gap fill: closed candles of one series for a time range, paged at the
 * market's largest `limit` (spot 1000, futures 1500; the last page asks only for what is left —
 * futures weight grows with limit). It never throws: the result says what was fetched and, if it
 * stopped early, why. `getJson` is one budgeted GET for other endpoints (market-data-rest.ts);
 * `getKlinePage` is the same GET for klines, its rows scanned from the text without JSON.parse
 * (fetchClosed, latest-klines.ts). Binance's -1121 is `unknown_symbol`: an answer about the
 * symbol, not retried.
 */

export type RestErrorCode = 'rate_limited' | 'ip_banned' | 'unknown_symbol' | 'http' | 'network' | 'bad_response' | 'aborted';

export class BinanceRestError extends Error {
  constructor(
    readonly code: RestErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'BinanceRestError';
  }
}

/** Candle times in Unix seconds, inclusive. */
export interface KlineRange {
  readonly symbol: string;
  readonly interval: string;
  readonly tfSeconds: number;
  readonly fromTime: number;
  readonly toTime: number;
}

export type GapFillResult = {
  /** Closed candles fetched (ascending), also when the fill stopped early. */
  readonly candles: Float64Array;
  /** Their answer JSON, written from the exchange's digits (when asked for and they are one scanned page). */
  readonly json?: CandlesJsonText;
  readonly requests: number;
  /** Request weight of the pages asked for (retries not counted). */
  readonly weight: number;
} & ({ readonly ok: true } | { readonly ok: false; readonly error: BinanceRestError });

export interface BinanceRestOptions {
  readonly market: LiveMarket;
  /** REST base URL (binance-endpoints.ts restBaseUrl). */
  readonly baseUrl: string;
  /** Shared by every client of the same host; default: a private one from MARKET_LIMITS. */
  readonly budget?: WeightBudget;
  /** Drives retry sleeps and the default budget. */
  readonly clock?: Clock;
  /**
   * Exchange time (ms) that decides which bars are closed; default `clock.now()`. Tests against
   * the fake pass its virtual clock, which may run faster than real time.
   */
  readonly exchangeNow?: () => number;
  /** Attempts after the first for 429, 5xx and network errors (default 3). */
  readonly maxRetries?: number;
  /**
   * Wait out a 429's Retry-After (default true: a gap fill may wait). false: a 429, or a budget
   * blocked by an earlier one, fails the call at once with `rate_limited` (an HTTP answer must
   * not hang for a minute); the budget still blocks until Retry-After.
   */
  readonly waitOutRateLimits?: boolean;
  readonly requestTimeoutMs?: number;
  readonly dispatcher?: Dispatcher;
  readonly logger?: Logger;
}

/** Retry-After when Binance omits it: a 429 means "the minute is used up"; 418 bans are ≥ 2 min. */
const DEFAULT_RETRY_AFTER_MS = { 429: 60_000, 418: 120_000 };
const RETRY_BASE_MS = 500;

export class BinanceRestClient {
  private readonly budget: WeightBudget;
  private readonly clock: Clock;
  private readonly exchangeNow: () => number;
  private readonly log: Logger;
  private readonly counters = { requests: 0, retries: 0, rateLimited: 0, banned: 0, errors: 0, candles: 0 };

  constructor(private readonly opts: BinanceRestOptions) {
    this.clock = opts.clock ?? systemClock;
    this.exchangeNow = opts.exchangeNow ?? (() => this.clock.now());
    this.budget = opts.budget ?? new WeightBudget({ weightPerWindow: MARKET_LIMITS[opts.market].weightPerMinute, clock: this.clock });
    this.log = opts.logger ?? createLogger(`binance-rest.${opts.market}`);
  }

  /**
   * `onPage`: each page's closed candles as it arrives (the result still carries them all).
   * `json`: also write the candles' answer JSON from the exchange's digits (a read waits for them:
   * tail coverage); the result carries it when the candles are one page.
   */
  async fetchClosed(range: KlineRange, signal?: AbortSignal, onPage?: (candles: Float64Array) => void, json = false): Promise<GapFillResult> {
    const limits = MARKET_LIMITS[this.opts.market];
    const tfMs = range.tfSeconds * 1000;
    const endMs = range.toTime * 1000;
    const pages: Float64Array[] = [];
    let text: CandlesJsonText | undefined;
    let from = range.fromTime * 1000;
    let requests = 0;
    let weight = 0;
    try {
      while (from <= endMs) {
        const limit = Math.min(limits.klinesMaxLimit, Math.floor((endMs - from) / tfMs) + 1);
        const query = `symbol=${encodeURIComponent(range.symbol)}&interval=${range.interval}&startTime=${from}&endTime=${endMs}&limit=${limit}`;
        requests++;
        weight += limits.klinesWeight(limit);
        const rows = await this.getKlinePage(`${limits.klinesPath}?${query}`, limits.klinesWeight(limit), signal, { json });
        pages.push(rows.candles);
        text = pages.length === 1 ? rows.json : undefined;
        this.counters.candles += rows.count;
        if (rows.count > 0) onPage?.(rows.candles);
        // Short page: the range (or the exchange's data) ends here; an open bar: nothing closed after it.
        if (rows.lastOpenMs === undefined || rows.open > 0 || rows.rows < limit) break;
        from = rows.lastOpenMs + tfMs;
      }
      return { ok: true, candles: concatPacked(pages), requests, weight, ...(text ? { json: text } : {}) };
    } catch (err) {
      const error = err instanceof BinanceRestError ? err : new BinanceRestError(signal?.aborted ? 'aborted' : 'network', describeError(err));
      this.counters.errors++;
      this.log.warn('gap fill stopped', { symbol: range.symbol, interval: range.interval, code: error.code, error: error.message });
      return { ok: false, error, candles: concatPacked(pages), requests, weight };
    }
  }

  /**
   * Could a fill of `range` send its first request now, within the weight budget? (Its first page
   * is its heaviest: it asks for the most rows.) The gap filler starts fills while this holds.
   */
  canStartNow(range: KlineRange): boolean {
    const limits = MARKET_LIMITS[this.opts.market];
    const rows = Math.floor((range.toTime - range.fromTime) / range.tfSeconds) + 1;
    return this.budget.available() >= limits.klinesWeight(Math.min(limits.klinesMaxLimit, rows));
  }

  stats(): typeof this.counters & { budget: ReturnType<WeightBudget['stats']> } {
    return { ...this.counters, budget: this.budget.stats() };
  }

  /**
   * One GET of `pathAndQuery` (e.g. `/api/v3/exchangeInfo`) on the market's host, charged `weight`,
   * with retries and rate-limit handling; returns the parsed JSON body or throws BinanceRestError.
   */
  async getJson(pathAndQuery: string, weight: number, signal?: AbortSignal): Promise<unknown> {
    const text = await this.getText(pathAndQuery, weight, signal);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new BinanceRestError('bad_response', `${pathAndQuery.split('?')[0]} response is not JSON`, 200);
    }
  }

  /**
   * One klines GET like getJson, its rows read straight from the text (binance-kline-page.ts: the
   * scanner, JSON.parse when the text is not in Binance's exact layout). `nowMs` decides which bars
   * are closed (default: exchange time once the answer is in). `json`: the candles' answer JSON
   * too, written from the answer's own digits (none when the text is not in Binance's layout).
   */
  async getKlinePage(
    pathAndQuery: string,
    weight: number,
    signal?: AbortSignal,
    options?: KlinePageOptions & {
      readonly nowMs?: number;
      readonly json?: boolean;
      /** Sees the page's candles once scanned, before their JSON is written (the next requests need only them). */
      readonly onScanned?: (candles: Float64Array) => void;
    },
  ): Promise<KlinePage & { readonly json?: CandlesJsonText }> {
    const text = await this.getText(pathAndQuery, weight, signal);
    const page = readKlinePage(text, options?.nowMs ?? this.exchangeNow(), { ...options, decimalSpans: options?.json === true });
    if (page === 'not_json') throw new BinanceRestError('bad_response', `${pathAndQuery.split('?')[0]} response is not JSON`, 200);
    if (page === 'not_array') throw new BinanceRestError('bad_response', 'klines response is not an array');
    options?.onScanned?.(page.candles);
    return page.decimalSpans === undefined ? page : { ...page, json: candlesJsonFromDecimals(text, page.candles, page.decimalSpans) };
  }

  /** The body text of a 200 answer to one GET, after the retries and rate-limit handling of getJson. */
  private async getText(pathAndQuery: string, weight: number, signal?: AbortSignal): Promise<string> {
    const url = `${this.opts.baseUrl}${pathAndQuery}`;
    const maxRetries = this.opts.maxRetries ?? 3;
    const waitOut = this.opts.waitOutRateLimits ?? true;
    let last: BinanceRestError | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) this.counters.retries++;
      const blockedMs = this.budget.blockedForMs();
      if (!waitOut && blockedMs > 0) throw new BinanceRestError('rate_limited', `rate limited, retry after ${blockedMs} ms`, 429);
      await this.budget.acquire(weight, signal);
      this.counters.requests++;
      let res: Dispatcher.ResponseData;
      try {
        const timeout = this.opts.requestTimeoutMs ?? 10_000;
        res = await request(url, { signal, dispatcher: this.opts.dispatcher, headersTimeout: timeout, bodyTimeout: timeout });
      } catch (err) {
        if (signal?.aborted) throw new BinanceRestError('aborted', 'aborted');
        last = new BinanceRestError('network', describeError(err));
        if (attempt < maxRetries) await this.sleep(RETRY_BASE_MS * 2 ** attempt, signal);
        continue;
      }
      const used = Number(header(res.headers['x-mbx-used-weight-1m']));
      if (header(res.headers['x-mbx-used-weight-1m']) !== undefined) this.budget.noteUsed(used);
      const text = await res.body.text().catch(() => '');
      if (res.statusCode === 200) return text;
      if (res.statusCode === 429 || res.statusCode === 418) {
        const waitMs = retryAfterMs(header(res.headers['retry-after']), this.clock.now()) ?? DEFAULT_RETRY_AFTER_MS[res.statusCode];
        // The limit is per IP: every series waits, not just this one.
        this.budget.blockFor(waitMs);
        if (res.statusCode === 418) {
          this.counters.banned++;
          this.log.error('binance banned this IP for REST (418); gap fill paused', { retryAfterMs: waitMs });
          throw new BinanceRestError('ip_banned', `418 IP banned, retry after ${waitMs} ms`, 418);
        }
        this.counters.rateLimited++;
        this.log.warn('binance REST rate limit (429); waiting Retry-After', { retryAfterMs: waitMs, used });
        last = new BinanceRestError('rate_limited', `429 rate limited, retry after ${waitMs} ms`, 429);
        if (!waitOut) throw last;
        continue;
      }
      // -1121 "Invalid symbol." (sources.md): the answer about this symbol, not a failure to retry.
      if (res.statusCode === 400 && binanceErrorCode(text) === -1121)
        throw new BinanceRestError('unknown_symbol', `unknown symbol: ${text.slice(0, 200)}`, 400);
      last = new BinanceRestError('http', `HTTP ${res.statusCode}: ${text.slice(0, 200)}`, res.statusCode);
      if (res.statusCode < 500) throw last;
      // No sleep after the last attempt: the caller learns the outcome at once.
      if (attempt < maxRetries) await this.sleep(RETRY_BASE_MS * 2 ** attempt, signal);
    }
    throw last ?? new BinanceRestError('network', 'no attempt made');
  }

  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }
}
