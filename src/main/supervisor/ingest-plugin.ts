import { GatewayError } from '../../shared/errors.js';
import type { IngestDemand } from '../hub/client-session.js';
import type { PrometheusText } from '../metrics/prometheus-text.js';
import type { IngestState } from '../server/routes/ops-routes.js';
import type { SeriesJobStats } from '../../ingest/contract.js';
import { createLogger } from '../../shared/log.js';

/**
 * What the gateway needs from live exchange ingest (issue 3): the subscribe hook, state for the
 * debug route and /metrics, readiness, and a stop that flushes every job's pending closed candles
 * to the writer (shutdown step 2, architecture.md). `IngestSupervisor` is the implementation;
 * tests and embedders may plug in their own (GatewayPlugins.ingest).
 */
export interface IngestPlugin {
  readonly demand: IngestDemand;
  state(): IngestState | Promise<IngestState>;
  metrics(out: PrometheusText): void | Promise<void>;
  notReadyReasons(): string[];
  stop(): Promise<void>;
  /** One series' job as its worker reports it, for series health (null: no job, or its worker is down). */
  seriesStats?(seriesId: string): Promise<SeriesIngestView | null>;
}

export interface SeriesIngestView {
  /** The series' job stats, or null when its worker runs no job for it. */
  readonly job: SeriesJobStats | null;
  /** Exchange minus local clock (ms) as that worker learned it from frames; null before the first. */
  readonly exchangeOffsetMs: number | null;
}

/**
 * Runs before a job starts (tail coverage, the history bootstrap importing a series' freqtrade
 * file), so the job's REST gap fill then covers only the stored head → now. Failures are logged
 * and the job starts anyway (live data beats none) — except `unknown_symbol` and `bad_request`:
 * the exchange cannot stream that series, so no job starts.
 */
export type BeforeJobStart = (seriesId: string) => Promise<void>;

/** Longest a subscribe waits for `beforeJobStart` before the job starts anyway. */
const BEFORE_JOB_START_TIMEOUT_MS = 60_000;

const log = createLogger('supervisor');

/**
 * Runs the hook for a series, bounded in time; never throws. Resolves false when the job must not
 * start (the hook said the exchange cannot have the series), true otherwise.
 */
export async function runBeforeJobStart(hook: BeforeJobStart, seriesId: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), BEFORE_JOB_START_TIMEOUT_MS)));
  try {
    const outcome = await Promise.race([hook(seriesId), timeout]);
    if (outcome === 'timeout') log.warn('beforeJobStart is taking long; starting the job anyway', { seriesId, timeoutMs: BEFORE_JOB_START_TIMEOUT_MS });
    return true;
  } catch (err) {
    if (err instanceof GatewayError && (err.code === 'unknown_symbol' || err.code === 'bad_request')) {
      log.warn('the exchange cannot stream this series; no job', { seriesId, code: err.code, error: err.message });
      return false;
    }
    log.error('beforeJobStart failed; starting the job anyway', { seriesId, error: err });
    return true;
  } finally {
    clearTimeout(timer);
  }
}
