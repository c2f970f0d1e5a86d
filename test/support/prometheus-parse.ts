/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line must
 * be a comment, a HELP/TYPE line or a sample; a family is declared once; a sample belongs to
 * the family declared before it (histograms: `_bucket`, `_sum`, `_count`).
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;
const SUFFIXES: Record<string, readonly string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const help = new Map<string, string>();
  let current: Family | undefined;
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const where = `line ${i + 1}: ${line}`;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (!METRIC_NAME.test(name!)) throw new Error(`bad metric name, ${where}`);
      if (kind === 'HELP') help.set(name!, rest!);
      else {
        if (families.has(name!)) throw new Error(`family declared twice, ${where}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest!)) throw new Error(`bad type, ${where}`);
        current = { name: name!, type: rest!, help: help.get(name!) ?? '', samples: [] };
        families.set(name!, current);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample, ${where}`);
    const [, name, labelText, valueText] = m;
    const suffixes = SUFFIXES[current?.type ?? ''] ?? [''];
    if (!current || !suffixes.some((s) => name === current!.name + s)) throw new Error(`sample outside its family, ${where}`);
    const value = parseValue(valueText!);
    if (value === undefined) throw new Error(`bad value, ${where}`);
    current.samples.push({ name: name!, labels: parseLabels(labelText ?? '', where), value });
  }
  return families;
}

/** A value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels, ${where}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The one sample of `family` whose labels include `labels`; throws when absent or ambiguous. */
export function sampleOf(families: Map<string, Family>, family: string, name: string, labels: Record<string, string> = {}): number {
  const f = families.get(family);
  if (!f) throw new Error(`no metric family ${family}`);
  const found = f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples ${name}${JSON.stringify(labels)} in ${family}`);
  return found[0]!.value;
}

/** Checks a histogram's series: buckets rise, end with +Inf, and +Inf equals _count. */
export function checkHistogram(families: Map<string, Family>, family: string, labels: Record<string, string> = {}): { count: number; sum: number } {
  const f = families.get(family);
  if (f?.type !== 'histogram') throw new Error(`${family} is not a histogram`);
  const matches = (s: Sample) => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  const buckets = f.samples.filter((s) => s.name === `${family}_bucket` && matches(s));
  if (buckets.length === 0) throw new Error(`${family}${JSON.stringify(labels)} has no buckets`);
  for (let i = 1; i < buckets.length; i++) {
    if (Number(buckets[i]!.labels.le) <= Number(buckets[i - 1]!.labels.le) || buckets[i]!.value < buckets[i - 1]!.value)
      throw new Error(`${family} buckets not cumulative`);
  }
  if (buckets.at(-1)!.labels.le !== '+Inf') throw new Error(`${family} has no +Inf bucket`);
  const count = sampleOf(families, family, `${family}_count`, labels);
  if (buckets.at(-1)!.value !== count) throw new Error(`${family}: +Inf bucket ${buckets.at(-1)!.value} != count ${count}`);
  return { count, sum: sampleOf(families, family, `${family}_sum`, labels) };
}
