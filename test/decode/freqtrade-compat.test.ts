import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { parseSeriesId } from '../../src/domain/series-id.js';
import { listCandleFiles } from '../../src/main/history/datadir-listing.js';
import { findCandleFile, resolveDatadir } from '../../src/main/history/datadir.js';
import { encodeFeather } from '../../tools/fixtures/feather-writer.js';
import { featherLayout } from '../../tools/fixtures/feather-layout.js';
import { readCandleFile } from '../../src/decode/read-candle-file.js';
import { describeWithSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

/**
 * Real freqtrade test data (../shared/fixtures/freqtrade, GPL-3.0, read in place and never copied
 * into the repo). Expected counts come from that folder's README.
 */
const FT = sharedFixture('freqtrade/');

function expectSameCandles(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (i % CANDLE_STRIDE === 0) {
      if (a[i] !== b[i]) expect.fail(`time differs at candle ${i / CANDLE_STRIDE}: ${a[i]} vs ${b[i]}`);
    } else if (Math.abs(a[i]! - b[i]!) > 1e-12 * Math.max(Math.abs(a[i]!), Math.abs(b[i]!))) {
      expect.fail(`value ${i % CANDLE_STRIDE} of candle ${Math.floor(i / CANDLE_STRIDE)} differs: ${a[i]} vs ${b[i]}`);
    }
  }
}

describeWithSharedFixtures('freqtrade datadir compatibility (real files)', () => {
  it('reads UNITTEST_BTC-1m feather and json as the same 13,681 candles with 538 gaps', async () => {
    const feather = await readCandleFile(FT + 'UNITTEST_BTC-1m.feather', { tfSeconds: 60 });
    const json = await readCandleFile(FT + 'UNITTEST_BTC-1m.json', { tfSeconds: 60 });
    for (const result of [feather, json]) {
      expect(result).toMatchObject({ rowsRead: 13_681, rowsKept: 13_681, gaps: 538, missingBars: 717 });
      expect(result.candles[0]).toBe(Date.UTC(2017, 10, 4, 23, 2) / 1000);
      expect(result.candles[result.candles.length - CANDLE_STRIDE]).toBe(Date.UTC(2017, 10, 14, 22, 59) / 1000);
    }
    expectSameCandles(feather.candles, json.candles);
  });

  it('reads a tail of a real feather as the end of the full read', async () => {
    const full = await readCandleFile(FT + 'UNITTEST_BTC-1m.feather', { tfSeconds: 60 });
    const tail = await readCandleFile(FT + 'UNITTEST_BTC-1m.feather', { tfSeconds: 60, tail: 100 });
    expect([...tail.candles]).toEqual([...full.candles.subarray(full.candles.length - 100 * CANDLE_STRIDE)]);
  });

  it('resolves binance:futures:XRP/USDT:5m to the settled futures feather and reads 1,999 candles', async () => {
    const { searchDirs } = resolveDatadir({ freqtradeDatadir: FT, freqtradeConfig: '', freqtradeUserdir: '' }, 'binance');
    const found = await findCandleFile(searchDirs, parseSeriesId('binance:futures:XRP/USDT:5m'));
    expect(found?.path).toBe(FT + 'futures/XRP_USDT_USDT-5m-futures.feather');
    const result = await readCandleFile(found!.path, { tfSeconds: 300 });
    expect(result).toMatchObject({ rowsKept: 1999, gaps: 0 });
  });

  it('reads the 1h futures json.gz as the same candles as the 1h feather', async () => {
    const gz = await readCandleFile(FT + 'futures/XRP_USDT_USDT-1h-futures.json.gz', { tfSeconds: 3600 });
    const feather = await readCandleFile(FT + 'futures/XRP_USDT_USDT-1h-futures.feather', { tfSeconds: 3600 });
    expect(gz.rowsKept).toBe(100);
    expectSameCandles(gz.candles, feather.candles);
  });

  it('gives zero candles and a reason for the 0-byte feather and the [] json', async () => {
    expect((await readCandleFile(FT + 'UNITTEST_BTC-8m.feather', { tfSeconds: 480 })).reason?.code).toBe('empty_file');
    expect((await readCandleFile(FT + 'NOPAIR_XXX-4m.json', { tfSeconds: 240 })).reason?.code).toBe('no_rows');
  });

  it('rejects the trades parquet as wrong schema and mark candles (null volume) as having no valid rows', async () => {
    const trades = await readCandleFile(FT + 'XRP_ETH-trades.parquet', { tfSeconds: 60 });
    expect(trades.reason?.code).toBe('wrong_schema');
    expect(trades.reason?.message).toContain('timestamp:INT64');
    const mark = await readCandleFile(FT + 'futures/XRP_USDT_USDT-1h-mark.feather', { tfSeconds: 3600 });
    expect(mark).toMatchObject({ rowsRead: 100, rowsKept: 0, reason: { code: 'no_valid_rows' } });
  });

  it('counts the gaps the README lists for the other feathers', async () => {
    const expected: [string, number, number, number, number][] = [
      ['UNITTEST_BTC-5m.feather', 300, 5760, 0, 0],
      ['UNITTEST_BTC-30m.feather', 1800, 1920, 0, 0],
      ['ADA_BTC-5m.feather', 300, 5720, 5, 40],
      ['TRX_BTC-5m.feather', 300, 5754, 6, 6],
      ['XRP_ETH-5m.feather', 300, 706, 6, -1],
    ];
    for (const [name, tfSeconds, rows, gaps, missing] of expected) {
      const result = await readCandleFile(FT + name, { tfSeconds });
      expect(result, name).toMatchObject({ rowsKept: rows, gaps });
      if (missing >= 0) expect(result.missingBars, name).toBe(missing);
    }
  });

  it('lists the fixture datadir as our series ids, skipping what is not served', async () => {
    const listing = await listCandleFiles([FT.slice(0, -1)], 'binance');
    expect(listing.files.map((f) => f.seriesId)).toEqual([
      'binance:futures:XRP/USDT:1h',
      'binance:futures:XRP/USDT:5m',
      'binance:spot:ADA/BTC:5m',
      'binance:spot:NOPAIR/XXX:4m',
      'binance:spot:TRX/BTC:5m',
      'binance:spot:UNITTEST/BTC:1m',
      'binance:spot:UNITTEST/BTC:30m',
      'binance:spot:UNITTEST/BTC:5m',
      'binance:spot:UNITTEST/BTC:8m',
      'binance:spot:XRP/ETH:1m',
      'binance:spot:XRP/ETH:5m',
    ]);
    const skipped = listing.skipped.map((s) => [s.path.slice(FT.length), s.reason.replace(FT, '')]);
    expect(skipped).toEqual(
      expect.arrayContaining([
        ['XRP_ETH-trades.parquet', 'trades file, not candles'],
        ['futures/XRP_USDT_USDT-1h-mark.feather', 'candle type mark is not served'],
        ['futures/XRP_USDT_USDT-8h-funding_rate.feather', 'candle type funding_rate is not served'],
        ['futures/XRP_USDT_USDT-1h-futures.json.gz', 'shadowed by futures/XRP_USDT_USDT-1h-futures.feather'],
        ['UNITTEST_BTC-1m.json', 'shadowed by UNITTEST_BTC-1m.feather'],
      ]),
    );
  });

  it('writes feather laid out like the pandas files freqtrade writes', async () => {
    const real = featherLayout(readFileSync(FT + 'UNITTEST_BTC-1m.feather'));
    const candles = (await readCandleFile(FT + 'UNITTEST_BTC-1m.feather', { tfSeconds: 60 })).candles;
    const ours = featherLayout(Buffer.concat(encodeFeather(candles)));
    expect(ours.fields).toEqual(real.fields);
    expect(ours.schemaMetadataKeys).toEqual(real.schemaMetadataKeys);
    expect(ours.footerVersion).toBe(real.footerVersion);
    expect(ours.batches.map((b) => [b.rows, b.compression, b.nullCounts])).toEqual(real.batches.map((b) => [b.rows, b.compression, b.nullCounts]));
    for (const layout of [real, ours]) {
      for (const batch of layout.batches) {
        // Validity bitmaps of null-free columns are empty; data buffers carry the uncompressed
        // length (rows × 8) and an LZ4 frame of format version 01; every buffer 8-byte aligned.
        expect(batch.buffers.filter((_, i) => i % 2 === 0).every((b) => b.length === 0)).toBe(true);
        for (const buffer of batch.buffers.filter((_, i) => i % 2 === 1)) {
          expect(buffer.lengthPrefix).toBe(batch.rows * 8);
          expect(buffer.frameDescriptor![0] & 0xc0).toBe(0x40);
          expect(buffer.offset % 8).toBe(0);
        }
      }
    }
  });
});
