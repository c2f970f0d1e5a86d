/**
 * Writes a freqtrade-style datadir of generated candles (for tests, demos and the import bench).
 *
 *   npx tsx scripts/gen-datadir.ts --out /tmp/ft-data \
 *     --series binance:spot:BTC/USDT:1m,binance:futures:ETH/USDT:5m \
 *     --count 1000000 --start 2020-01-01T00:00:00Z --gaps every:10000:3,after:100:5 \
 *     --formats feather,json --seed 7
 *
 * Options (defaults in brackets):
 *   --out DIR              datadir to write (created)                         [required]
 *   --series IDS           comma-separated series ids                         [binance:spot:BTC/USDT:1m]
 *   --count N              candles per series                                 [10000]
 *   --start TIME           first candle: ISO date or Unix seconds             [2024-01-01T00:00:00Z]
 *   --gaps SPEC            after:K:BARS (once) or every:K:BARS, comma-separated [none]
 *   --formats LIST         feather,parquet,json.gz,json                       [all four]
 *   --seed N               random seed                                        [1]
 *   --unit ns|us|ms|s      feather timestamp unit                             [ns]
 *   --legacy-futures-names BTC_USDT-5m-futures instead of BTC_USDT_USDT-5m-futures
 *   --inspect              print each feather's layout (schema, batches, compression)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { featherLayout } from '../tools/fixtures/feather-layout.js';
import { writeDatadir } from '../tools/fixtures/fixture-writer.js';
import { CANDLE_FORMATS, type CandleFormat } from '../src/domain/freqtrade-formats.js';
import type { GapSpec } from '../tools/fixtures/synthetic-candles.js';
import type { FeatherUnit } from '../tools/fixtures/feather-writer.js';

function fail(message: string): never {
  process.stderr.write(`gen-datadir: ${message}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    series: { type: 'string', default: 'binance:spot:BTC/USDT:1m' },
    count: { type: 'string', default: '10000' },
    start: { type: 'string', default: '2024-01-01T00:00:00Z' },
    gaps: { type: 'string', default: '' },
    formats: { type: 'string', default: CANDLE_FORMATS.join(',') },
    seed: { type: 'string', default: '1' },
    unit: { type: 'string', default: 'ns' },
    'legacy-futures-names': { type: 'boolean', default: false },
    inspect: { type: 'boolean', default: false },
  },
});

if (!values.out) fail('--out DIR is required');
const count = Number(values.count);
if (!Number.isSafeInteger(count) || count < 0) fail(`--count must be a non-negative integer, got ${values.count}`);
const startTime = /^\d+$/.test(values.start) ? Number(values.start) : Date.parse(values.start) / 1000;
if (!Number.isFinite(startTime)) fail(`--start must be an ISO date or Unix seconds, got ${values.start}`);
const formats = values.formats.split(',').map((f) => f.trim()) as CandleFormat[];
for (const f of formats) if (!(CANDLE_FORMATS as readonly string[]).includes(f)) fail(`unknown format ${f}`);
if (!['ns', 'us', 'ms', 's'].includes(values.unit)) fail(`--unit must be ns, us, ms or s, got ${values.unit}`);
const gaps: GapSpec[] = values.gaps
  .split(',')
  .filter(Boolean)
  .map((spec) => {
    const [kind, k, bars] = spec.split(':');
    const n = Number(k);
    const b = Number(bars);
    if (!Number.isSafeInteger(n) || n <= 0 || !Number.isSafeInteger(b) || b <= 0) fail(`bad gap spec ${spec}`);
    if (kind === 'after') return { after: n, bars: b };
    if (kind === 'every') return { every: n, bars: b };
    return fail(`bad gap spec ${spec} (after:K:BARS or every:K:BARS)`);
  });

const started = performance.now();
let written;
try {
  written = await writeDatadir({
    out: values.out,
    series: values.series
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    count,
    startTime,
    gaps,
    formats,
    seed: Number(values.seed),
    legacyFuturesNames: values['legacy-futures-names'],
    fileOptions: { feather: { unit: values.unit as FeatherUnit } },
  });
} catch (err) {
  fail((err as Error).message);
}
for (const file of written) {
  process.stdout.write(`${JSON.stringify({ seriesId: file.seriesId, format: file.format, path: file.path, rows: file.rows })}\n`);
  if (values.inspect && file.format === 'feather') {
    process.stdout.write(`${JSON.stringify(featherLayout(readFileSync(file.path)), null, 2)}\n`);
  }
}
process.stderr.write(`gen-datadir: ${written.length} files in ${Math.round(performance.now() - started)} ms\n`);
