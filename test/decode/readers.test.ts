import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CANDLE_STRIDE, candleCount, packCandles, type Candle } from '../../src/domain/candle.js';
import { writeCandleFile, writeDatadir, type WrittenFixture } from '../../tools/fixtures/fixture-writer.js';
import { CANDLE_FORMATS, type CandleFormat } from '../../src/domain/freqtrade-formats.js';
import { readCandleFile } from '../../src/decode/read-candle-file.js';
import { generateCandles } from '../../tools/fixtures/synthetic-candles.js';
import { tempDir } from '../support/temp-dir.js';

const MINUTE = 60;
const START = 1_700_000_040; // a whole minute, 2023-11-14

function candles(rows: [number, number, number, number, number, number][]): Float64Array {
  return packCandles(rows.map(([candle_time, open, high, low, close, volume]): Candle => ({ candle_time, open, high, low, close, volume })));
}

function times(packed: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < packed.length; i += CANDLE_STRIDE) out.push(packed[i]!);
  return out;
}

describe('all four formats give the same candles', () => {
  const dir = tempDir('readers-parity');
  let written: WrittenFixture[];

  beforeAll(async () => {
    written = await writeDatadir({
      out: dir,
      series: ['binance:spot:BTC/USDT:1m', 'binance:futures:ETH/USDT:5m'],
      count: 150_000, // several feather batches and parquet row groups
      startTime: START,
      gaps: [
        { after: 10, bars: 3 },
        { every: 20_000, bars: 1 },
      ],
      seed: 42,
    });
  });

  it('writes freqtrade names for spot and futures', () => {
    expect(written.map((w) => w.path.slice(dir.length + 1))).toEqual([
      ...CANDLE_FORMATS.map((f) => `BTC_USDT-1m.${f}`),
      ...CANDLE_FORMATS.map((f) => `futures/ETH_USDT_USDT-5m-futures.${f}`),
    ]);
  });

  it('reads back exactly the generated candles from every file, with the gaps counted', async () => {
    for (const file of written) {
      const tfSeconds = file.seriesId.endsWith(':5m') ? 300 : MINUTE;
      const result = await readCandleFile(file.path, { tfSeconds });
      expect(result.reason, file.path).toBeUndefined();
      expect(result).toMatchObject({ rowsRead: 150_000, rowsKept: 150_000, gaps: 8, missingBars: 10 });
      expect(Buffer.from(result.candles.buffer).equals(Buffer.from(file.candles.buffer)), file.path).toBe(true);
    }
  });

  it('reads the last N candles of every format', async () => {
    for (const file of written) {
      // JSON is parsed whole whatever the tail, so a few tails suffice there.
      const tails = file.format.startsWith('json') ? [1, 100_000, 500_000] : [1, 1000, 18_928, 18_929, 100_000, 150_000, 500_000];
      for (const tail of tails) {
        const result = await readCandleFile(file.path, { tfSeconds: MINUTE, tail });
        const expected = file.candles.subarray(Math.max(0, file.candles.length - tail * CANDLE_STRIDE));
        expect(result.rowsKept, `${file.path} tail ${tail}`).toBe(Math.min(tail, 150_000));
        expect(Buffer.from(result.candles.buffer).equals(Buffer.from(expected.slice().buffer)), `${file.path} tail ${tail}`).toBe(true);
      }
    }
  });

  it('decodes only the last feather batches for a tail', async () => {
    const feather = written.find((w) => w.format === 'feather')!;
    // 150,000 rows in 64Ki-row batches: 65,536 + 65,536 + 18,928.
    expect((await readCandleFile(feather.path, { tfSeconds: MINUTE, tail: 1000 })).rowsRead).toBe(18_928);
    expect((await readCandleFile(feather.path, { tfSeconds: MINUTE, tail: 18_929 })).rowsRead).toBe(18_928 + 65_536);
  });

  it('decodes only the needed parquet rows for a tail', async () => {
    const parquet = written.find((w) => w.format === 'parquet')!;
    expect((await readCandleFile(parquet.path, { tfSeconds: MINUTE, tail: 1000 })).rowsRead).toBe(1000);
  });
});

describe('timestamp units', () => {
  const dir = tempDir('readers-units');
  const data = generateCandles({ count: 500, startTime: START, tfSeconds: MINUTE, seed: 5 });

  it('reads feather dates in ns, us, ms and s from the schema', async () => {
    for (const unit of ['ns', 'us', 'ms', 's'] as const) {
      const path = join(dir, `UNIT_${unit}-1m.feather`);
      await writeCandleFile(path, 'feather', data, { feather: { unit } });
      const result = await readCandleFile(path, { tfSeconds: MINUTE });
      expect(times(result.candles), unit).toEqual(times(data));
    }
  });

  it('reads parquet timestamps in NANOS, MICROS and MILLIS', async () => {
    for (const parquetUnit of ['NANOS', 'MICROS', 'MILLIS'] as const) {
      const path = join(dir, `UNIT_${parquetUnit}-1m.parquet`);
      await writeCandleFile(path, 'parquet', data, { parquetUnit });
      expect(times((await readCandleFile(path, { tfSeconds: MINUTE })).candles), parquetUnit).toEqual(times(data));
    }
  });

  it('reads uncompressed feather too', async () => {
    const path = join(dir, 'PLAIN_X-1m.feather');
    await writeCandleFile(path, 'feather', data, { feather: { compression: 'none' } });
    expect(Buffer.from((await readCandleFile(path, { tfSeconds: MINUTE })).candles.buffer).equals(Buffer.from(data.buffer))).toBe(true);
  });
});

describe('row clean-up, the same in every format', () => {
  const dir = tempDir('readers-cleanup');

  async function readAll(name: string, data: Float64Array, tail?: number) {
    const results = new Map<string, Awaited<ReturnType<typeof readCandleFile>>>();
    const variants: [string, CandleFormat, Parameters<typeof writeCandleFile>[3]][] = [
      ['feather', 'feather', {}],
      ['feather-nan-values', 'feather', { feather: { nanAsNull: false, batchRows: 2 } }],
      ['parquet', 'parquet', { parquetRowGroupRows: 2 }],
      ['json.gz', 'json.gz', {}],
      ['json', 'json', {}],
    ];
    for (const [label, format, options] of variants) {
      const path = join(dir, `${name}_${label.replace(/\W/g, '')}-1m.${format}`);
      await writeCandleFile(path, format, data, options);
      results.set(label, await readCandleFile(path, { tfSeconds: MINUTE, tail }));
    }
    return results;
  }

  it('drops rows with NaN (or null) in any column, including the date', async () => {
    const t = START;
    const data = candles([
      [t, 1, 2, 0.5, 1.5, 10],
      [t + 60, NaN, 2, 0.5, 1.5, 10],
      [t + 120, 1, 2, 0.5, 1.5, NaN],
      [NaN, 1, 2, 0.5, 1.5, 10],
      [t + 240, 1, 2, 0.5, 1.5, 0],
    ]);
    for (const [label, result] of await readAll('NAN', data)) {
      expect(result, label).toMatchObject({ rowsRead: 5, rowsKept: 2, gaps: 1, missingBars: 3 });
      expect(times(result.candles), label).toEqual([t, t + 240]);
    }
  });

  it('keeps the last of duplicate times', async () => {
    const t = START;
    const data = candles([
      [t, 1, 1, 1, 1, 1],
      [t + 60, 2, 2, 2, 2, 2],
      [t + 60, 3, 3, 3, 3, 3],
      [t + 120, 4, 4, 4, 4, 4],
    ]);
    for (const [label, result] of await readAll('DUP', data)) {
      expect([...result.candles], label).toEqual([t, 1, 1, 1, 1, 1, t + 60, 3, 3, 3, 3, 3, t + 120, 4, 4, 4, 4, 4]);
    }
  });

  it('sorts unsorted rows', async () => {
    const t = START;
    const data = candles([
      [t + 180, 4, 4, 4, 4, 4],
      [t + 120, 3, 3, 3, 3, 3],
      [t, 1, 1, 1, 1, 1],
      [t + 60, 2, 2, 2, 2, 2],
    ]);
    for (const [label, result] of await readAll('UNSORTED', data)) {
      expect(times(result.candles), label).toEqual([t, t + 60, t + 120, t + 180]);
    }
  });

  it('falls back to a full read when the rows a tail read decodes are out of order', async () => {
    // freqtrade writes sorted files, so a tail read trusts batch (row group) order; disorder
    // inside the decoded batches means the file is not sorted, and only a full read can say
    // which candles are the latest. With 2-row batches the last batch holds t+180, t+120 while
    // t+240 sits in the first one.
    const t = START;
    const data = candles([
      [t, 1, 1, 1, 1, 1],
      [t + 240, 5, 5, 5, 5, 5],
      [t + 180, 4, 4, 4, 4, 4],
      [t + 120, 3, 3, 3, 3, 3],
    ]);
    for (const [label, result] of await readAll('UNSORTED_TAIL', data, 2)) {
      expect(times(result.candles), label).toEqual([t + 180, t + 240]);
    }
  });

  it('says no_valid_rows when every row is invalid', async () => {
    const data = candles([[START, 1, 1, 1, 1, NaN]]);
    for (const [label, result] of await readAll('ALLNAN', data)) {
      expect(result.reason?.code, label).toBe('no_valid_rows');
      expect(candleCount(result.candles)).toBe(0);
    }
  });
});
