/**
 * The one module that imports prom-client (eslint.config.js SINGLE_IMPORTERS). It gives /metrics
 * Node's standard process and runtime metrics and the latency histograms; like everything else
 * on /metrics they are read when Prometheus scrapes, not pushed.
 */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Every metric name of the gateway starts with this. */
export const METRIC_PREFIX = 'kline_gateway_';

// Process-wide, started once per process however many gateways it runs (the tests run many):
// CPU, memory, file descriptors, V8 heap spaces, GC durations (`nodejs_gc_duration_seconds`) and
// the main thread's event-loop delay in seconds (`nodejs_eventloop_lag_*`; min, max, mean and
// percentiles cover the time since the previous scrape, prom-client resets them on each; Node's
// monitor measures between ticks of a 10 ms timer, and the first tick after a reset only starts
// the clock).
const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry, prefix: METRIC_PREFIX });

/** The process and runtime metrics, in the Prometheus text format. */
export function processMetricsText(): Promise<string> {
  return processRegistry.metrics();
}

/**
 * Bucket bounds (seconds) of a request answered from memory (tens of µs) up to one waiting on a
 * bootstrap or a slow disk (seconds).
 */
export const HTTP_DURATION_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Bucket bounds (seconds) of commit → publish: normally well under a millisecond (one thread hop). */
export const COMMIT_PUBLISH_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * A latency histogram (seconds) owned by one component of one gateway. Its own registry keeps
 * two gateways in one process (tests, embedders) from sharing or clashing on a name.
 */
export class LatencyHistogram<Label extends string = never> {
  private readonly registry = new Registry();
  private readonly histogram: Histogram<Label>;

  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly Label[] = []) {
    this.histogram = new Histogram<Label>({ name: METRIC_PREFIX + name, help, buckets: [...buckets], labelNames, registers: [this.registry] });
  }

  observe(seconds: number, labels?: Readonly<Record<Label, string>>): void {
    if (labels) this.histogram.observe(labels, seconds);
    else this.histogram.observe(seconds);
  }

  /** The histogram in the Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
