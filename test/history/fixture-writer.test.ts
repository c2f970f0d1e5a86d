import { readFileSync } from 'node:fs';
import lz4js from 'lz4js';
import { describe, expect, it } from 'vitest';
import { CANDLE_STRIDE, candleCount, packCandles } from '../../src/domain/candle.js';
import { encodeFeather, MAX_BATCH_ROWS } from '../../src/history/feather-writer.js';
import { featherLayout } from '../../src/history/feather-layout.js';
import { candlesToJson, writeDatadir } from '../../src/history/fixture-writer.js';
import { generateCandles } from '../../src/history/synthetic-candles.js';
import { tempDir } from '../support/temp-dir.js';

const START = 1_700_000_040;

describe('generateCandles', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = generateCandles({ count: 1000, startTime: START, tfSeconds: 60, seed: 1 });
    expect(generateCandles({ count: 1000, startTime: START, tfSeconds: 60, seed: 1 })).toEqual(a);
    expect(generateCandles({ count: 1000, startTime: START, tfSeconds: 60, seed: 2 })).not.toEqual(a);
  });

  it('makes consistent bars: low <= open, close <= high, volume >= 0, all finite', () => {
    const c = generateCandles({ count: 50_000, startTime: START, tfSeconds: 60, seed: 3 });
    for (let i = 0; i < c.length; i += CANDLE_STRIDE) {
      const [, o, h, l, cl, v] = c.subarray(i, i + CANDLE_STRIDE);
      if (!(l! <= Math.min(o!, cl!) && Math.max(o!, cl!) <= h! && v! >= 0 && l! > 0)) expect.fail(`bar ${i / CANDLE_STRIDE} inconsistent: ${c.subarray(i, i + 6).join(',')}`);
    }
  });

  it('aligns the start to the bar grid and leaves the holes asked for', () => {
    const c = generateCandles({ count: 10, startTime: START + 59, tfSeconds: 60, gaps: [{ after: 2, bars: 3 }, { every: 4, bars: 1 }] });
    const times = Array.from({ length: candleCount(c) }, (_, i) => (c[i * CANDLE_STRIDE]! - START) / 60);
    expect(times).toEqual([0, 1, 5, 6, 8, 9, 10, 11, 13, 14]);
  });
});

describe('encodeFeather', () => {
  const candles = generateCandles({ count: 70_000, startTime: START, tfSeconds: 60, seed: 4 });

  it("writes pandas' schema: date timestamp[ns, UTC], float64 OHLCV, pandas metadata", () => {
    const layout = featherLayout(Buffer.concat(encodeFeather(candles)));
    expect(layout.fields).toEqual([
      { name: 'date', type: 'Timestamp<NANOSECOND, UTC>', nullable: true },
      ...['open', 'high', 'low', 'close', 'volume'].map((name) => ({ name, type: 'Float64', nullable: true })),
    ]);
    expect(layout.schemaMetadataKeys).toEqual(['pandas']);
    expect(layout.footerVersion).toBe('V5');
  });

  it('splits into 64Ki-row batches whose buffers are LZ4 frames prefixed with the uncompressed length', () => {
    const bytes = Buffer.concat(encodeFeather(candles));
    const layout = featherLayout(bytes);
    expect(layout.batches.map((b) => [b.rows, b.compression])).toEqual([
      [65_536, 'LZ4_FRAME'],
      [4464, 'LZ4_FRAME'],
    ]);
    // Decompress each column with lz4js (an independent decoder) and compare with the input.
    const second = layout.batches[1]!;
    const column = (c: number): Uint8Array => {
      const buffer = second.buffers[c * 2 + 1]!;
      expect(buffer.lengthPrefix).toBe(second.rows * 8);
      const frame = bytes.subarray(second.bodyStart + buffer.offset + 8, second.bodyStart + buffer.offset + buffer.length);
      return lz4js.decompress(frame);
    };
    const opens = new Float64Array(column(1).buffer);
    const dates = new BigInt64Array(column(0).buffer);
    expect(opens[0]).toBe(candles[65_536 * CANDLE_STRIDE + 1]);
    expect(dates[second.rows - 1]).toBe(BigInt(candles[candles.length - CANDLE_STRIDE]!) * 1_000_000_000n);
    expect(second.buffers.every((b) => b.offset % 8 === 0)).toBe(true);
  });

  it('stores NaN as null with a validity bitmap, as pyarrow does for pandas frames', () => {
    const withNaN = packCandles([
      { candle_time: START, open: 1, high: 1, low: 1, close: 1, volume: NaN },
      { candle_time: START + 60, open: 1, high: 1, low: 1, close: 1, volume: 2 },
    ]);
    const layout = featherLayout(Buffer.concat(encodeFeather(withNaN)));
    expect(layout.batches[0]!.nullCounts).toEqual([0, 0, 0, 0, 0, 1]);
    expect(layout.batches[0]!.buffers[10]!.lengthPrefix).toBe(1); // one byte of validity bits
    expect(featherLayout(Buffer.concat(encodeFeather(withNaN, { nanAsNull: false }))).batches[0]!.nullCounts).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('writes other timestamp units and uncompressed bodies on request', () => {
    const layout = featherLayout(Buffer.concat(encodeFeather(candles.subarray(0, 60), { unit: 'ms', compression: 'none' })));
    expect(layout.fields[0]!.type).toBe('Timestamp<MILLISECOND, UTC>');
    expect(layout.batches[0]!.compression).toBe('none');
  });

  it('refuses batches large enough to fill a 4 MiB LZ4 block', () => {
    expect(() => encodeFeather(candles, { batchRows: MAX_BATCH_ROWS + 1 })).toThrow(RangeError);
  });
});

describe('fixture files', () => {
  it("writes freqtrade's JSON rows: epoch ms, shortest number forms, null for NaN", () => {
    const json = candlesToJson(packCandles([{ candle_time: START, open: 0.1, high: 0.30000000000000004, low: 0.05, close: 0.2, volume: NaN }]));
    expect(json).toBe(`[[${START * 1000},0.1,0.30000000000000004,0.05,0.2,null]]`);
  });

  it('names files for spot, futures and legacy futures', async () => {
    const dir = tempDir('fixture-names');
    const current = await writeDatadir({ out: dir, series: ['binance:spot:SOL/USDT:15m', 'binance:futures:SOL/USDT:1h'], count: 3, startTime: START, formats: ['json'] });
    const legacy = await writeDatadir({ out: dir, series: ['binance:futures:SOL/USDT:1h'], count: 3, startTime: START, formats: ['json'], legacyFuturesNames: true });
    expect([...current, ...legacy].map((w) => w.path.slice(dir.length + 1))).toEqual(['SOL_USDT-15m.json', 'futures/SOL_USDT_USDT-1h-futures.json', 'futures/SOL_USDT-1h-futures.json']);
    expect(JSON.parse(readFileSync(current[0]!.path, 'utf8'))).toHaveLength(3);
    await expect(writeDatadir({ out: dir, series: ['binance:options:SOL/USDT:1h'], count: 1, startTime: START })).rejects.toThrow(/no candle files/);
  });
});
