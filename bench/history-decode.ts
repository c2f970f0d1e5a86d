/**
 * Decode speed of freqtrade candle files: generates a 1,000,000-row 1m datadir (or reads --file)
 * and times full and tail reads in-thread and through the decode pool.
 *
 *   npx tsx bench/history-decode.ts [--rows 1000000] [--formats feather,parquet,json.gz,json]
 *                                   [--runs 5] [--file PATH --tf 60]
 *
 * The first in-thread run is cold (JIT not warmed up), as a one-off bootstrap of one file is.
 * Reference: freqtrade loads 2.7M 1m rows from feather in 3.5 s (0.77M rows/s).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setLogLevel } from '../src/shared/log.js';
import { createDecodePool } from '../src/main/history/decode-pool.js';
import { writeDatadir } from '../tools/fixtures/fixture-writer.js';
import { CANDLE_FORMATS, type CandleFormat } from '../src/domain/freqtrade-formats.js';
import { readCandleFile } from '../src/decode/read-candle-file.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    formats: { type: 'string', default: 'feather' },
    runs: { type: 'string', default: '5' },
    file: { type: 'string' },
    tf: { type: 'string', default: '60' },
  },
});
const runs = Number(values.runs);
const tfSeconds = Number(values.tf);
setLogLevel('warn');

let files: { path: string; format: string }[];
let cleanup = (): void => undefined;
if (values.file) {
  files = [{ path: values.file, format: values.file.split('.').slice(1).join('.') }];
} else {
  const dir = mkdtempSync(join(tmpdir(), 'kline-bench-history-'));
  cleanup = () => rmSync(dir, { recursive: true, force: true });
  const formats = values.formats.split(',') as CandleFormat[];
  for (const f of formats) if (!(CANDLE_FORMATS as readonly string[]).includes(f)) throw new Error(`unknown format ${f}`);
  const started = performance.now();
  const written = await writeDatadir({
    out: dir,
    series: ['binance:spot:BTC/USDT:1m'],
    count: Number(values.rows),
    startTime: 1_500_000_000,
    gaps: [{ every: 10_000, bars: 3 }],
    formats,
    seed: 7,
  });
  console.log(`generated ${formats.join(', ')} (${values.rows} rows) in ${Math.round(performance.now() - started)} ms`);
  files = written.map((w) => ({ path: w.path, format: w.format }));
}

const line = (label: string, ms: number, rows: number): void =>
  console.log(`${label.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms  ${(((rows / ms) * 1000) / 1e6).toFixed(2).padStart(6)} M rows/s`);

try {
  for (const file of files) {
    console.log(`\n${file.path} (${(statSync(file.path).size / 1e6).toFixed(1)} MB)`);
    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      const result = await readCandleFile(file.path, { tfSeconds });
      if (result.reason) throw new Error(result.reason.message);
      line(`${file.format} in-thread full #${run + 1}${run === 0 ? ' (cold)' : ''}`, performance.now() - t0, result.rowsRead);
    }
    const t0 = performance.now();
    const tail = await readCandleFile(file.path, { tfSeconds, tail: 2000 });
    console.log(`${`${file.format} in-thread tail 2000`.padEnd(34)} ${(performance.now() - t0).toFixed(1).padStart(8)} ms  (${tail.rowsRead} rows decoded)`);

    const pool = createDecodePool({ threads: 1 });
    await pool.decode({ path: file.path, tfSeconds, tail: 1 }); // start the thread
    for (let run = 0; run < Math.min(runs, 3); run++) {
      const p0 = performance.now();
      const result = await pool.decode({ path: file.path, tfSeconds });
      line(`${file.format} pool full #${run + 1} (incl. transfer)`, performance.now() - p0, result.rowsRead);
    }
    await pool.close();
  }
} finally {
  cleanup();
}
