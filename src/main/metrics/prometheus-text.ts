/**
 * Prometheus text exposition format (version 0.0.4), written by hand: the gateway's metrics are
 * snapshots of counters the components already keep, rendered at scrape time. prom-client's
 * metrics (prom-registry.ts) join in as text.
 */

export type Labels = Readonly<Record<string, string | number>>;
export type MetricType = 'counter' | 'gauge' | 'histogram';

export class PrometheusText {
  private readonly lines: string[] = [];

  metric(name: string, type: MetricType, help: string, samples: ReadonlyArray<[Labels, number]>): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  /** One unlabelled sample. */
  single(name: string, type: MetricType, help: string, value: number): this {
    return this.metric(name, type, help, [[{}, value]]);
  }

  /** A histogram from cumulative-able bucket counts keyed by upper bound ('+Inf' last). */
  histogram(name: string, help: string, buckets: Readonly<Record<string, number>>, sum: number): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    let cumulative = 0;
    const bounds = Object.keys(buckets).sort((a, b) => (a === '+Inf' ? 1 : b === '+Inf' ? -1 : Number(a) - Number(b)));
    for (const le of bounds) {
      cumulative += buckets[le]!;
      this.lines.push(`${name}_bucket{le="${le}"} ${cumulative}`);
    }
    this.lines.push(`${name}_sum ${formatValue(sum)}`, `${name}_count ${cumulative}`);
    return this;
  }

  /** Metrics already in the text format (prom-client's). */
  text(exposition: string): this {
    const trimmed = exposition.trimEnd();
    if (trimmed) this.lines.push(trimmed);
    return this;
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
