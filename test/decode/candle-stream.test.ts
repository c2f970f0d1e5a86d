import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { streamCandleFile } from '../../src/decode/candle-stream.js';
import { writeCandleFile } from '../../tools/fixtures/fixture-writer.js';
import { readCandleFile } from '../../src/decode/read-candle-file.js';
import { generateCandles } from '../../tools/fixtures/synthetic-candles.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('candle-stream');
const MINUTE = 60;

async function collect(path: string, chunkRows: number, tail?: number) {
  const chunks: Float64Array[] = [];
  const fractions: number[] = [];
  const summary = await streamCandleFile(path, { tfSeconds: MINUTE, chunkRows, tail }, async (chunk, progress) => {
    chunks.push(chunk);
    fractions.push(progress.fraction);
  });
  const all = new Float64Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (all.set(c, at), at + c.length), 0);
  return { summary, chunks, fractions, all };
}

describe('streaming a candle file in chunks', () => {
  it('streams a feather file record batch by record batch into equal chunks: the same candles and gaps as a full read', async () => {
    const candles = generateCandles({ count: 10_000, startTime: 1_700_000_040, tfSeconds: MINUTE, seed: 3, gaps: [{ every: 1000, bars: 2 }] });
    const path = join(dir, 'BTC_USDT-1m.feather');
    // Batches of 1,500 rows and chunks of 4,000: chunk edges fall inside record batches.
    await writeCandleFile(path, 'feather', candles, { feather: { batchRows: 1500 } });
    const { summary, chunks, fractions, all } = await collect(path, 4000);
    const full = await readCandleFile(path, { tfSeconds: MINUTE });
    expect(chunks.map((c) => c.length / CANDLE_STRIDE)).toEqual([4000, 4000, 2000]);
    expect(chunks.every((c) => c.buffer.byteLength >= c.byteLength && c.byteOffset === 0)).toBe(true);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(3); // each chunk can be transferred on its own
    expect(Buffer.from(all.buffer).equals(Buffer.from(full.candles.buffer))).toBe(true);
    expect(summary).toEqual({
      rowsRead: 10_000,
      rowsSent: 10_000,
      gaps: full.gaps,
      missingBars: full.missingBars,
      firstTime: candles[0],
      lastTime: candles[candles.length - CANDLE_STRIDE],
    });
    expect(full.gaps).toBe(9);
    expect(fractions.at(-1)).toBe(1);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
  });

  it('drops rows with missing values, as a full read does', async () => {
    const candles = generateCandles({ count: 3000, startTime: 1_700_000_040, tfSeconds: MINUTE, seed: 4 });
    candles[100 * CANDLE_STRIDE + 5] = NaN; // pandas writes a missing volume as null
    const path = join(dir, 'NAN_USDT-1m.feather');
    await writeCandleFile(path, 'feather', candles);
    const { summary, all } = await collect(path, 1000);
    expect(summary).toMatchObject({ rowsRead: 3000, rowsSent: 2999, gaps: 1, missingBars: 1 });
    expect([...all]).toEqual([...(await readCandleFile(path, { tfSeconds: MINUTE })).candles]);
  });

  it('reads tails and other formats whole, then cuts them into chunks', async () => {
    const candles = generateCandles({ count: 2500, startTime: 1_700_000_040, tfSeconds: MINUTE, seed: 5 });
    const json = join(dir, 'ETH_USDT-1m.json');
    await writeCandleFile(json, 'json', candles);
    const fromJson = await collect(json, 1000);
    expect(fromJson.chunks.map((c) => c.length / CANDLE_STRIDE)).toEqual([1000, 1000, 500]);
    expect([...fromJson.all]).toEqual([...candles]);
    const feather = join(dir, 'ETH_USDT-1m.feather');
    await writeCandleFile(feather, 'feather', candles);
    const tail = await collect(feather, 1000, 700);
    expect(tail.chunks).toHaveLength(1);
    expect([...tail.all]).toEqual([...candles.subarray((2500 - 700) * CANDLE_STRIDE)]);
  });

  it('answers bad files with a reason and no chunks', async () => {
    const empty = join(dir, 'EMPTY_USDT-1m.feather');
    await writeCandleFile(empty, 'feather', new Float64Array(0));
    const { summary, chunks } = await collect(empty, 1000);
    expect(chunks).toHaveLength(0);
    expect(summary.reason?.code).toBe('no_rows');
    expect(summary.reason?.message).toContain(empty);
    const missing = await collect(join(dir, 'NONE_USDT-1m.feather'), 1000);
    expect(missing.summary).toMatchObject({ rowsRead: 0, rowsSent: 0, reason: { code: 'not_found' } });
  });
});
