import { parseSeriesId, type SeriesId } from '../../domain/series-id.js';
import { describeError, toWire } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import type { MarketStore } from '../store/market-store.js';
import type { FoundCandleFile } from './datadir.js';
import type { ImportReason } from '../../decode/contract.js';
import type { HistoryImporter } from './importer.js';

export type BootstrapOutcome =
  /** The file's tail (or whole file) is committed. */
  | { readonly kind: 'imported'; readonly path: string; readonly rows: number; readonly lastTime: number | null }
  /** The store already had `limit` candles; nothing read. */
  | { readonly kind: 'enough'; readonly stored: number }
  /** No candle file (and no download produced one). */
  | { readonly kind: 'no_file' }
  /** The file gave no candles, or writing them failed. */
  | { readonly kind: 'failed'; readonly path?: string; readonly reason: ImportReason };

export interface BootstrapDeps {
  readonly store: Pick<MarketStore, 'count'>;
  readonly importer: Pick<HistoryImporter, 'importFile'>;
  /** The series' candle file, running the download trigger first if it is enabled and needed. */
  readonly locate: (series: SeriesId) => Promise<FoundCandleFile | undefined>;
  /** `FREQTRADE_BOOTSTRAP_LIMIT`: bootstrap below this many stored candles, import this many; 0 = whole file. */
  readonly limit: number;
  /** `FREQTRADE_BOOTSTRAP_WAIT_MS`: longest a read waits for a running bootstrap. */
  readonly readWaitMs: number;
  /** After `no_file` or `failed`, the next use looks again once this long has passed. */
  readonly retryAfterMs?: number;
}

/** A file may appear (download, operator copy) or a failure clear up; look again after a minute. */
const DEFAULT_RETRY_AFTER_MS = 60_000;
/** Series remembered; clients may ask for any number of ids, so settled ones are forgotten beyond this. */
const MAX_REMEMBERED_SERIES = 100_000;

interface Run {
  readonly promise: Promise<BootstrapOutcome>;
  outcome?: BootstrapOutcome;
  settledAt?: number;
}

const log = createLogger('history.bootstrap');

/**
 * Seeds a series with freqtrade history the first time this process uses it (issue 4): when the
 * store holds fewer than `limit` candles, the file's latest `limit` candles are imported, silently
 * (committed with publish=false: history, not live). Runs per series are shared: concurrent
 * callers await the same one, and once a series is bootstrapped (or had enough) later calls return
 * at once, so a second run never happens in this process; an import is an upsert anyway, so the
 * next process repeating it changes nothing.
 *
 * Callers: `beforeRead` is CandleReader's pre-read hook (HTTP candles, WS catch-up); the ingest
 * supervisor calls `ensure` when it starts a job and `onBootstrapped` tells it where the file
 * ended, so it can fill file end → now from the exchange.
 */
export class HistoryBootstrapper {
  private readonly runs = new Map<string, Run>();
  private readonly listeners: Array<(seriesId: string, lastTime: number) => void> = [];
  private readonly slowReadsLogged = new Set<string>();
  private closed = false;

  constructor(private readonly deps: BootstrapDeps) {}

  /** Bootstraps `seriesId` unless this process already did; never rejects. */
  ensure(seriesId: string): Promise<BootstrapOutcome> {
    const existing = this.runs.get(seriesId);
    if (existing && (existing.outcome === undefined || !this.retryDue(existing))) return existing.promise;
    const run: Run = { promise: this.bootstrap(seriesId).then((outcome) => ((run.outcome = outcome), (run.settledAt = Date.now()), outcome)) };
    this.runs.delete(seriesId); // re-insert: the map's order is least recently started first
    this.runs.set(seriesId, run);
    if (this.runs.size > MAX_REMEMBERED_SERIES) this.forgetSettled();
    return run.promise;
  }

  /**
   * CandleReader's pre-read hook: undefined (no await at all) once the series is settled for good;
   * otherwise waits for its bootstrap, at most `readWaitMs`, so a read never hangs on a slow file
   * or download: it then answers from what is stored.
   */
  readonly beforeRead = (seriesId: string): Promise<void> | undefined => {
    const run = this.runs.get(seriesId);
    if (run?.outcome && !this.retryDue(run)) return undefined;
    const pending = this.ensure(seriesId);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (!this.slowReadsLogged.has(seriesId)) {
          this.slowReadsLogged.add(seriesId);
          log.warn('bootstrap still running; answering the read from what is stored', { series_id: seriesId, waited_ms: this.deps.readWaitMs });
        }
        resolve();
      }, this.deps.readWaitMs);
      void pending.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  };

  /** Called after every bootstrap that committed candles, with the newest candle time imported. */
  onBootstrapped(listener: (seriesId: string, lastTime: number) => void): void {
    this.listeners.push(listener);
  }

  /** Refuses new bootstraps (graceful stop); ones running finish or fail with the pool. */
  close(): void {
    this.closed = true;
  }

  /** Drops the oldest settled series (a forgotten one that is used again is simply re-checked). */
  private forgetSettled(): void {
    for (const [id, run] of this.runs) {
      if (this.runs.size <= MAX_REMEMBERED_SERIES * 0.9) return;
      if (run.outcome) this.runs.delete(id);
    }
  }

  private retryDue(run: Run): boolean {
    const retryable = run.outcome?.kind === 'no_file' || run.outcome?.kind === 'failed';
    return retryable && Date.now() - run.settledAt! >= (this.deps.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
  }

  private async bootstrap(seriesId: string): Promise<BootstrapOutcome> {
    if (this.closed) return { kind: 'failed', reason: { code: 'shutting_down', message: 'the gateway is stopping' } };
    let series: SeriesId;
    try {
      series = parseSeriesId(seriesId);
    } catch {
      return { kind: 'no_file' }; // not a series id: nothing any file could hold
    }
    const { limit } = this.deps;
    try {
      if (limit > 0) {
        const stored = await this.deps.store.count(seriesId, limit);
        if (stored >= limit) return { kind: 'enough', stored };
      }
      const file = await this.deps.locate(series);
      if (!file) {
        log.info('no freqtrade candle file for series; starting without history', { series_id: seriesId });
        return { kind: 'no_file' };
      }
      log.info('bootstrapping series from freqtrade history', { series_id: seriesId, path: file.path, tail: limit || 'whole file' });
      const result = await this.deps.importer.importFile({ seriesId, path: file.path, format: file.format }, { tail: limit });
      if (result.reason && result.rowsWritten === 0) {
        log.warn('freqtrade file gave no candles', { series_id: seriesId, path: file.path, code: result.reason.code, reason: result.reason.message });
        return { kind: 'failed', path: file.path, reason: result.reason };
      }
      if (result.reason) {
        log.warn('bootstrap stopped part-way', {
          series_id: seriesId,
          path: file.path,
          rows: result.rowsWritten,
          code: result.reason.code,
          reason: result.reason.message,
        });
      }
      log.info('bootstrap done', {
        series_id: seriesId,
        path: file.path,
        rows: result.rowsWritten,
        gaps: result.gaps,
        missing_bars: result.missingBars,
        last_time: result.lastTime,
        ms: Math.round(result.ms),
      });
      if (result.lastTime !== null) this.notify(seriesId, result.lastTime);
      return { kind: 'imported', path: file.path, rows: result.rowsWritten, lastTime: result.lastTime };
    } catch (err) {
      // The store refused (stopping, writer down): a later use tries again.
      log.warn('bootstrap failed', { series_id: seriesId, error: err });
      return { kind: 'failed', reason: { code: toWire(err).code, message: describeError(err) } };
    }
  }

  private notify(seriesId: string, lastTime: number): void {
    for (const listener of this.listeners) {
      try {
        listener(seriesId, lastTime);
      } catch (err) {
        log.error('onBootstrapped listener failed', { series_id: seriesId, error: err });
      }
    }
  }
}
