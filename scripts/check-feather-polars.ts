/**
 * Cross-checks our feather output with an independent Arrow implementation: polars (Rust), which
 * validates the IPC layout and the LZ4 length prefixes that apache-arrow JS does not. It found
 * that apache-arrow 21's own compressed writer is unreadable elsewhere (feather-writer.ts).
 *
 * nodejs-polars is not a project dependency (a 40 MB native build for one manual check). Install
 * it anywhere and point at its node_modules:
 *
 *   npm install --prefix /tmp/polars nodejs-polars@0.26.1 nodejs-polars-linux-x64-gnu@0.26.1
 *   npx tsx scripts/check-feather-polars.ts --polars /tmp/polars/node_modules [FILE.feather ...]
 *
 * Without files it writes feathers in every layout the fixture writer offers (units, nulls,
 * batch sizes, compression) to a temp dir and checks each against the candles written. Given
 * files, it compares polars with our reader. Exits 1 on any difference.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CANDLE_STRIDE, candleCount } from '../src/domain/candle.js';
import { writeFeatherFile, type FeatherWriteOptions } from '../tools/fixtures/feather-writer.js';
import { readCandleFile } from '../src/decode/read-candle-file.js';
import { generateCandles } from '../tools/fixtures/synthetic-candles.js';

interface PolarsSeries {
  toArray(): unknown[];
  cast(dtype: unknown): PolarsSeries;
}
interface PolarsFrame {
  height: number;
  schema: Record<string, unknown>;
  getColumn(name: string): PolarsSeries;
}
interface Polars {
  readIPC(body: Buffer): PolarsFrame;
  Int64: unknown;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { polars: { type: 'string' } } });
if (!values.polars) {
  process.stderr.write('check-feather-polars: --polars <node_modules dir holding nodejs-polars> is required (see the header)\n');
  process.exit(2);
}
const pl = createRequire(join(values.polars, 'noop.js'))('nodejs-polars') as Polars;

const PER_SECOND: Record<string, number> = { ns: 1e9, us: 1e6, ms: 1e3, s: 1 };

/** Candles as polars reads them: valid rows only, date converted to seconds from its own unit. */
function readWithPolars(path: string): Float64Array {
  const frame = pl.readIPC(readFileSync(path));
  const unit = /Datetime\((\w+)/.exec(String(frame.schema.date))?.[1] ?? '?';
  const perSecond = PER_SECOND[unit];
  if (!perSecond) throw new Error(`${path}: polars sees date as ${String(frame.schema.date)}`);
  const dates = frame.getColumn('date').cast(pl.Int64).toArray() as (bigint | number | null)[];
  const columns = ['open', 'high', 'low', 'close', 'volume'].map((name) => frame.getColumn(name).toArray() as (number | null)[]);
  const out: number[] = [];
  for (let i = 0; i < frame.height; i++) {
    const row = [dates[i] == null ? NaN : Math.floor(Number(dates[i]) / perSecond), ...columns.map((c) => c[i] ?? NaN)];
    if (row.every(Number.isFinite)) out.push(...row);
  }
  return Float64Array.from(out);
}

function compare(label: string, polars: Float64Array, expected: Float64Array): boolean {
  const same = polars.length === expected.length && polars.every((v, i) => v === expected[i]);
  process.stdout.write(`${same ? 'ok  ' : 'FAIL'} ${label}: polars ${candleCount(polars)} candles, expected ${candleCount(expected)}\n`);
  return same;
}

let failures = 0;
if (positionals.length > 0) {
  for (const path of positionals) {
    const ours = await readCandleFile(path, { tfSeconds: 60 });
    if (!compare(path, readWithPolars(path), ours.candles)) failures++;
  }
} else {
  const dir = mkdtempSync(join(tmpdir(), 'kline-polars-check-'));
  try {
    const candles = generateCandles({ count: 300_000, startTime: 1_600_000_020, tfSeconds: 60, seed: 11, gaps: [{ every: 997, bars: 2 }] });
    const withNulls = candles.slice();
    for (let i = 5; i < candleCount(withNulls); i += 1000) withNulls[i * CANDLE_STRIDE + 1 + (i % 5)] = NaN;
    const cases: [string, Float64Array, FeatherWriteOptions][] = [
      ['default (ns, lz4, 64Ki batches)', candles, {}],
      ['ms unit', candles, { unit: 'ms' }],
      ['us unit', candles, { unit: 'us' }],
      ['s unit', candles, { unit: 's' }],
      ['largest batches', candles, { batchRows: 262_144 }],
      ['uncompressed', candles, { compression: 'none' }],
      ['NaN as null', withNulls, {}],
    ];
    for (const [label, data, options] of cases) {
      const path = join(dir, `${label.replace(/\W+/g, '_')}.feather`);
      await writeFeatherFile(path, data, options);
      const valid: number[] = [];
      for (let i = 0; i < data.length; i += CANDLE_STRIDE) {
        const row = data.subarray(i, i + CANDLE_STRIDE);
        if (row.every(Number.isFinite)) valid.push(...row);
      }
      if (!compare(label, readWithPolars(path), Float64Array.from(valid))) failures++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(failures > 0 ? 1 : 0);
