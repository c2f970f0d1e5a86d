import { monotonicMs } from '../../shared/clock.js';
import type { CommittedMessage } from '../../writer/contract.js';
import { COMMIT_PUBLISH_BUCKETS_S, HTTP_DURATION_BUCKETS_S, LatencyHistogram } from './prom-registry.js';

/** The gateway's latency histograms; /metrics renders them at scrape time. */
export class GatewayLatency {
  readonly httpRequest = new LatencyHistogram(
    'http_request_duration_seconds',
    'HTTP requests per route, from arrival to the response handed to the socket (seconds).',
    HTTP_DURATION_BUCKETS_S,
    ['route'],
  );

  readonly commitToPublish = new LatencyHistogram(
    'commit_to_publish_seconds',
    'From the writer committing a transaction to the hub publishing its closed candles (seconds).',
    COMMIT_PUBLISH_BUCKETS_S,
  );

  /** Called once the hub has published `msg`; commits of history only (nothing to publish) are not counted. */
  published(msg: CommittedMessage, nowMs = monotonicMs()): void {
    if (!msg.segments.some((s) => s.publish)) return;
    this.commitToPublish.observe(Math.max(0, nowMs - msg.committedAtMs) / 1000);
  }

  /** One HTTP response, `startedAtMs` on the monotonic clock (the transport stamps it). */
  responded(route: string, startedAtMs: number, nowMs = monotonicMs()): void {
    this.httpRequest.observe(Math.max(0, nowMs - startedAtMs) / 1000, { route });
  }

  async text(): Promise<string> {
    return (await this.httpRequest.text()) + (await this.commitToPublish.text());
  }
}
