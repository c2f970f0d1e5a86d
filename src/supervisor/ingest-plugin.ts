import type { IngestDemand } from '../hub/client-session.js';
import type { PrometheusText } from '../metrics/prometheus-text.js';
import type { IngestState } from '../server/routes/ops-routes.js';

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
}

/**
 * Runs before a job starts (e.g. the history bootstrap importing a series' freqtrade file), so
 * the job's REST gap fill then covers only the file's end → now. Failures are logged and the job
 * starts anyway: live data beats none.
 */
export type BeforeJobStart = (seriesId: string) => Promise<void>;
