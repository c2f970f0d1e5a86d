import type { IngestDemand } from './hub/client-session.js';
import type { PrometheusText } from './metrics/prometheus-text.js';
import type { IngestState } from './server/routes/ops-routes.js';

/**
 * What the gateway needs from live exchange ingest (issue 3): the subscribe hook, state for the
 * debug route and /metrics, readiness, and a stop that flushes every job's pending closed candles
 * to the writer (shutdown step 2, architecture.md).
 */
export interface IngestEngine {
  readonly demand: IngestDemand;
  state(): IngestState | Promise<IngestState>;
  metrics(out: PrometheusText): void | Promise<void>;
  notReadyReasons(): string[];
  stop(): Promise<void>;
}
