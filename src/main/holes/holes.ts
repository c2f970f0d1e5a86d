import { CANDLE_STRIDE } from '../../domain/candle.js';
import type { Config } from '../config/settings.js';
import type { HistoryBootstrapper } from '../history/bootstrapper.js';
import type { BeforeRead } from '../hub/candle-reader.js';
import { PreparedCandleJson } from '../hub/prepared-json.js';
import type { TailCache } from '../hub/tail-cache.js';
import type { MarketStore } from '../store/market-store.js';
import type { BeforeJobStart } from '../supervisor/ingest-plugin.js';
import { BackfillService } from './backfill-service.js';
import { HolesMetrics } from './holes-metrics.js';
import { ScrollBack } from './scroll-back.js';
import { TailCoverage, tailCoverageEnabled } from './tail-coverage.js';

/** The main thread's hole work, wired once by the gateway (before the hub and ingest). */
export interface Holes {
  readonly backfill: BackfillService;
  /** Null when TRADE_CANVAS_ENABLE_MARKET_TAIL_COVERAGE is off. */
  readonly coverage: TailCoverage | null;
  readonly scrollBack: ScrollBack;
  /** Answer text tail coverage makes for waiting reads (the reader takes it); null without coverage. */
  readonly prepared: PreparedCandleJson | null;
  readonly metrics: HolesMetrics;
  /**
   * CandleReader's pre-read hook: tail coverage (which runs the history bootstrap first), else
   * the bootstrap's own wait, else nothing.
   */
  readonly beforeRead: BeforeRead | undefined;
  /**
   * Runs before an ingest job starts (startup sync of the whitelist, on-demand starts): tail
   * coverage, else the history bootstrap. Rejects with `unknown_symbol` / `bad_request` when the
   * exchange cannot have the series: the supervisor then starts no job.
   */
  readonly beforeJobStart: BeforeJobStart | undefined;
  close(): void;
}

export function createHoles(config: Config, store: MarketStore, history: HistoryBootstrapper | null, cache: TailCache): Holes {
  const metrics = new HolesMetrics();
  const backfill = new BackfillService({ store, readLimit: config.gapBackfillReadLimit, metrics });
  const readTail = async (seriesId: string, count: number) => {
    const hit = cache.enabled && count <= cache.capacity ? (await cache.get(seriesId)).latest(count) : null;
    return hit ? { data: hit.data.subarray(hit.from * CANDLE_STRIDE, hit.to * CANDLE_STRIDE), head: hit.head } : store.tail(seriesId, count);
  };
  const prepared = tailCoverageEnabled(config) ? new PreparedCandleJson() : null;
  const coverage = prepared ? new TailCoverage({ store, readTail, backfill, history, settings: config, metrics, prepared }) : null;
  const scrollBack = new ScrollBack({ store, backfill, metrics, waitMs: config.tailCoverageWaitMs });
  const beforeJobStart: BeforeJobStart | undefined = coverage
    ? async (seriesId) => {
        await coverage.ensure(seriesId);
        const refused = coverage.refusal(seriesId);
        if (refused) throw refused;
      }
    : history
      ? async (seriesId) => void (await history.ensure(seriesId))
      : undefined;
  return {
    backfill,
    coverage,
    scrollBack,
    prepared,
    metrics,
    beforeRead: coverage?.beforeRead ?? history?.beforeRead,
    beforeJobStart,
    close: () => coverage?.close(),
  };
}
