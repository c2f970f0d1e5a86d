import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel } from '../../../src/shared/log.js';
import { createDecodePool, type DecodePool } from '../../../src/main/history/decode-pool.js';
import type { CandleDecoder } from '../../../src/decode/contract.js';
import { inThreadDecoder } from '../../../src/decode/decode-task.js';
import { writeDatadir, type WrittenFixture } from '../../../tools/fixtures/fixture-writer.js';
import { tempDir } from '../../support/temp-dir.js';

const dir = tempDir('decode-pool');
let files: WrittenFixture[];

beforeAll(async () => {
  setLogLevel('silent');
  files = await writeDatadir({ out: dir, series: ['binance:spot:BTC/USDT:1m'], count: 70_000, startTime: 1_700_000_040, gaps: [{ after: 5, bars: 2 }] });
});

/** The same contract for the in-thread decoder and the worker-backed pool. */
function decoderContract(name: string, make: () => { decoder: CandleDecoder; close?: () => Promise<void> }): void {
  describe(`${name} decoder`, () => {
    let decoder: CandleDecoder;
    let close: (() => Promise<void>) | undefined;
    beforeAll(() => ({ decoder, close } = make()));
    afterAll(async () => close?.());

    it('decodes every format to the written candles', async () => {
      for (const file of files) {
        const result = await decoder.decode({ path: file.path, tfSeconds: 60 });
        expect(result).toMatchObject({ rowsKept: 70_000, gaps: 1, missingBars: 2 });
        expect(result.reason).toBeUndefined();
        expect(Buffer.from(result.candles.buffer).equals(Buffer.from(file.candles.buffer)), file.path).toBe(true);
      }
    });

    it('reads a tail into a buffer of just the tail', async () => {
      const result = await decoder.decode({ path: files[0]!.path, tfSeconds: 60, tail: 10 });
      expect(result.rowsKept).toBe(10);
      expect(result.candles.buffer.byteLength).toBe(10 * 6 * 8);
    });

    it('answers failures with a reason', async () => {
      expect((await decoder.decode({ path: join(dir, 'NOPE_X-1m.feather'), tfSeconds: 60 })).reason?.code).toBe('not_found');
    });
  });
}

decoderContract('in-thread', () => ({ decoder: inThreadDecoder }));

let pool: DecodePool;
decoderContract('piscina pool', () => {
  pool = createDecodePool({ threads: 2 });
  return { decoder: pool, close: () => pool.close() };
});

describe('decode pool', () => {
  it('decodes files in parallel threads and answers worker_failed once closed', async () => {
    const local = createDecodePool({ threads: 2 });
    expect(local.threads).toBe(2);
    const results = await Promise.all(files.map((f) => local.decode({ path: f.path, tfSeconds: 60, tail: 5 })));
    expect(results.map((r) => r.rowsKept)).toEqual(files.map(() => 5));
    await local.close();
    expect((await local.decode({ path: files[0]!.path, tfSeconds: 60 })).reason?.code).toBe('worker_failed');
  });

  it('answers overloaded beyond its queue bound instead of queueing without limit', async () => {
    const local = createDecodePool({ threads: 1, maxQueue: 1 });
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => local.decode({ path: files[0]!.path, tfSeconds: 60 })));
      const codes = results.map((r) => r.reason?.code ?? 'ok');
      expect(codes).toContain('ok');
      expect(codes).toContain('overloaded');
    } finally {
      await local.close();
    }
  });
});
