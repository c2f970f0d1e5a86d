import { renderMetrics, type MetricSources } from '../../metrics/gateway-metrics.js';
import { jsonReply, type Route } from '../http-router.js';

/** What `GET /api/market/debug/ingest_state` shows (contract §2); the supervisor fills `jobs`. */
export interface IngestState {
  readonly jobs: readonly unknown[];
  readonly whitelist_series_ids: readonly string[];
  readonly [key: string]: unknown;
}

export interface OpsRouteDeps {
  readonly metrics: MetricSources;
  readonly ingestState: () => IngestState | Promise<IngestState>;
  /** Reasons the gateway is not ready; empty = ready. */
  readonly notReadyReasons: () => string[];
  readonly debugApi: () => boolean;
}

export function opsRoutes(deps: OpsRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/metrics',
      handle: async () => ({
        status: 200,
        body: await renderMetrics(deps.metrics),
        headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      }),
    },
    {
      method: 'GET',
      path: '/healthz',
      // Liveness: answering at all proves the event loop runs.
      handle: () => jsonReply(200, { status: 'ok' }),
    },
    {
      method: 'GET',
      path: '/readyz',
      handle: () => {
        const reasons = deps.notReadyReasons();
        return reasons.length === 0 ? jsonReply(200, { status: 'ready' }) : jsonReply(503, { status: 'not_ready', reasons });
      },
    },
    {
      method: 'GET',
      path: '/api/market/debug/ingest_state',
      auth: true,
      enabled: deps.debugApi,
      handle: async () => jsonReply(200, await deps.ingestState()),
    },
  ];
}
