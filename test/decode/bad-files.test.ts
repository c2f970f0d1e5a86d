import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeCandleFile } from '../../tools/fixtures/fixture-writer.js';
import { featherLayout } from '../../tools/fixtures/feather-layout.js';
import type { DecodeReasonCode } from '../../src/decode/decode-result.js';
import { readCandleFile } from '../../src/decode/read-candle-file.js';
import { generateCandles } from '../../tools/fixtures/synthetic-candles.js';
import { tempDir } from '../support/temp-dir.js';

const dir = tempDir('bad-files');
const MINUTE = 60;
const data = generateCandles({ count: 3000, startTime: 1_700_000_040, tfSeconds: MINUTE, seed: 9 });

async function expectRejected(path: string, code: DecodeReasonCode, tail?: number): Promise<string> {
  const result = await readCandleFile(path, { tfSeconds: MINUTE, tail });
  expect(result.reason?.code, path).toBe(code);
  expect(result.reason?.message).toContain(path);
  expect(result.candles.length).toBe(0);
  expect(result.rowsKept).toBe(0);
  return result.reason!.message;
}

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

async function written(name: string, format: Parameters<typeof writeCandleFile>[1], options: Parameters<typeof writeCandleFile>[3] = {}): Promise<Uint8Array> {
  const path = join(dir, name);
  await writeCandleFile(path, format, data, options);
  return readFileSync(path);
}

const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff);

describe('bad candle files give zero candles and a reason, never an exception', () => {
  it('0-byte files, in every format', async () => {
    for (const ext of ['feather', 'parquet', 'json.gz', 'json']) {
      await expectRejected(file(`EMPTY_X-1m.${ext}`, ''), 'empty_file');
    }
  });

  it('garbage bytes, in every format', async () => {
    for (const ext of ['feather', 'parquet', 'json.gz', 'json']) {
      await expectRejected(file(`GARBAGE_X-1m.${ext}`, garbage), 'corrupt');
    }
  });

  it('a feather file cut off anywhere, whole or tail read', async () => {
    const bytes = await written('FULL_X-1m.feather', 'feather', { feather: { batchRows: 1000 } });
    for (const keep of [6, 100, Math.floor(bytes.length / 2), bytes.length - 11, bytes.length - 1]) {
      const path = file(`CUT${keep}_X-1m.feather`, bytes.subarray(0, keep));
      await expectRejected(path, 'truncated');
      await expectRejected(path, 'truncated', 10);
    }
  });

  it('a feather file whose compressed column is damaged', async () => {
    const bytes = await written('DAMAGE_X-1m.feather', 'feather');
    const batch = featherLayout(bytes).batches[0]!;
    // Give the first data buffer's LZ4 frame a bogus block size: the decoder must refuse it.
    const damaged = Uint8Array.from(bytes);
    const frameStart = batch.bodyStart + batch.buffers.find((b) => b.length > 0)!.offset + 8;
    damaged[frameStart + 7] = 0xff;
    damaged[frameStart + 8] = 0xff;
    damaged[frameStart + 9] = 0x7f;
    expect(await expectRejected(file('DAMAGED_X-1m.feather', damaged), 'corrupt')).toContain('LZ4 frame');
  });

  it('a json.gz file cut off', async () => {
    const bytes = await written('FULL_X-1m.json.gz', 'json.gz');
    await expectRejected(file('CUT_X-1m.json.gz', bytes.subarray(0, Math.floor(bytes.length / 2))), 'truncated');
  });

  it('a parquet file cut off', async () => {
    const bytes = await written('FULL_X-1m.parquet', 'parquet');
    await expectRejected(file('CUT_X-1m.parquet', bytes.subarray(0, bytes.length - 100)), 'truncated');
  });

  it('json that is not a list of candle rows', async () => {
    await expectRejected(file('OBJ_X-1m.json', '{"date": []}'), 'wrong_schema');
    await expectRejected(file('ROWS_X-1m.json', '[{"date": 1, "open": 2}]'), 'wrong_schema');
    await expectRejected(file('SHORT_X-1m.json', '[[1700000000000, 1, 2, 3]]'), 'wrong_schema');
    await expectRejected(file('TEXT_X-1m.json', '[[1700000000000, 1, 2'), 'corrupt');
    await expectRejected(file('PLAIN_X-1m.json.gz', '[[1700000000000,1,1,1,1,1]]'), 'corrupt');
  });

  it('empty lists', async () => {
    await expectRejected(file('NONE_X-1m.json', '[]'), 'no_rows');
    await expectRejected(file('NONE_X-1m.json.gz', gzipSync('[]')), 'no_rows');
    await writeCandleFile(join(dir, 'NONE_X-1m.feather'), 'feather', new Float64Array(0));
    await expectRejected(join(dir, 'NONE_X-1m.feather'), 'no_rows');
    await writeCandleFile(join(dir, 'NONE_X-1m.parquet'), 'parquet', new Float64Array(0));
    await expectRejected(join(dir, 'NONE_X-1m.parquet'), 'no_rows');
  });

  it('a parquet or feather file without OHLCV columns', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const trades = parquetWriteBuffer({
      columnData: [
        { name: 'timestamp', data: new BigInt64Array([1n, 2n]), type: 'INT64' },
        { name: 'price', data: new Float64Array([1, 2]), type: 'DOUBLE' },
      ],
    });
    expect(await expectRejected(file('TRADES_X-1m.parquet', new Uint8Array(trades)), 'wrong_schema')).toContain('columns: timestamp:INT64, price:DOUBLE');

    const { tableToIPC, tableFromArrays } = await import('apache-arrow');
    const ipc = tableToIPC(tableFromArrays({ timestamp: new Float64Array([1, 2]), price: new Float64Array([3, 4]) }), 'file');
    expect(await expectRejected(file('TRADES_X-1m.feather', ipc), 'wrong_schema')).toContain('date must be a timestamp');
  });

  it('other Arrow flavours than feather v2', async () => {
    const { tableToIPC, tableFromArrays } = await import('apache-arrow');
    const stream = tableToIPC(tableFromArrays({ open: new Float64Array([1]) }), 'stream');
    await expectRejected(file('STREAM_X-1m.feather', stream), 'unsupported_format');
    await expectRejected(file('V1_X-1m.feather', Buffer.concat([Buffer.from('FEA1'), Buffer.from(garbage)])), 'unsupported_format');
  });

  it('missing files, directories, unknown extensions and bad options', async () => {
    await expectRejected(join(dir, 'MISSING_X-1m.feather'), 'not_found');
    await expectRejected(dir + '/', 'unsupported_format');
    await expectRejected(file('DATA_X-1m.h5', garbage), 'unsupported_format');
    const result = await readCandleFile(join(dir, 'FULL_X-1m.feather'), { tfSeconds: 0 });
    expect(result.reason?.code).toBe('bad_request');
    expect((await readCandleFile(join(dir, 'FULL_X-1m.feather'), { tfSeconds: 60, tail: -1 })).reason?.code).toBe('bad_request');
    const asDir = join(dir, 'DIR_X-1m.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(asDir);
    await expectRejected(asDir, 'io_error');
  });
});
