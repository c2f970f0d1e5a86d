import { describe, expect, it } from 'vitest';
import { scanKlineRows, SPANS_PER_CANDLE } from '../../src/domain/binance-rest-scan.js';
import { CANDLE_STRIDE } from '../../src/domain/candle.js';
import { candleObjectsJson } from '../../src/protocol/candle-json.js';
import { candlesJsonFromDecimals, sliceCandlesJson } from '../../src/protocol/candle-json-text.js';
import { anyDecimal, binanceDecimal, digits } from '../support/decimal-strings.js';
import { seededRandom as prng } from '../support/seeded-random.js';

/**
 * The candles' JSON written from the exchange's digits must be, byte for byte, what
 * candleObjectsJson writes from the doubles: a read answers with it in place of encoding. Pages of
 * decimals of every shape (the scanner's own test generators, written out here), read by the
 * scanner with their spans, then both texts compared.
 */

/** Any decimal the scanner accepts, with more tiny values (exponent form below 1e-6) than anyDecimal gives. */
function decimal(random: () => number): string {
  if (random() < 0.1) return `0.${'0'.repeat(Math.floor(random() * 9))}${digits(random, 1 + Math.floor(random() * 16))}${'0'.repeat(Math.floor(random() * 4))}`;
  return anyDecimal(random);
}

const MINUTE_MS = 60_000;
const ascii = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

function page(rows: Array<[string, string, string, string, string]>): string {
  return JSON.stringify(rows.map((d, i) => [(i + 1) * MINUTE_MS, ...d, (i + 2) * MINUTE_MS - 1, '0', 7, '0', '0', '0']));
}

function expectSameText(text: string): number {
  const scanned = scanKlineRows(text, Number.MAX_SAFE_INTEGER, { decimalSpans: true })!;
  expect(scanned, 'the scanner reads the page').toBeDefined();
  expect(scanned.decimalSpans!.length).toBe(scanned.count * SPANS_PER_CANDLE);
  const made = candlesJsonFromDecimals(text, scanned.candles, scanned.decimalSpans!);
  expect(ascii(made.bytes)).toBe(candleObjectsJson(scanned.candles, 0, scanned.count));
  return scanned.count;
}

describe('candlesJsonFromDecimals', () => {
  it('writes what candleObjectsJson writes, for Binance-shaped pages', () => {
    const random = prng(11);
    for (let i = 0; i < 30; i++) {
      const rows = Array.from(
        { length: 1 + Math.floor(random() * 1000) },
        () => [0, 0, 0, 0, 0].map(() => binanceDecimal(random)) as [string, string, string, string, string],
      );
      expect(expectSameText(page(rows))).toBe(rows.length);
    }
  });

  it('writes what candleObjectsJson writes, for decimals of every shape (formatting those it cannot copy)', () => {
    const random = prng(12);
    let candles = 0;
    for (let i = 0; i < 300; i++) {
      const rows = Array.from({ length: 40 }, () => [0, 0, 0, 0, 0].map(() => decimal(random)) as [string, string, string, string, string]);
      candles += expectSameText(page(rows.filter((r) => r.every((d) => Number.isFinite(Number(d))))));
    }
    expect(candles).toBeGreaterThan(10_000);
  });

  it('handles the edges of JavaScript number printing', () => {
    const edge = [
      '0',
      '0.00000000',
      '-0',
      '-0.0',
      '00.5',
      '0.000001',
      '0.00000100',
      '0.0000001',
      '0.0000009999',
      '1e0'.slice(0, 1),
      '123456789012345',
      '1234567890123456',
      '123456789012345.0000',
      '12345678901234.5',
      '0.123456789012345',
      '0.1234567890123456',
      '999999999999999999999',
      '1000000000000000000000',
      '100000000000000000000',
      '9007199254740993',
      '5',
      '5.',
      '50.10',
      '-1.5',
    ].filter((d) => /^-?\d+(\.\d+)?$/.test(d));
    expectSameText(page(edge.map((d) => [d, d, d, d, d])));
  });

  it('slices to a run of its candles exactly as the run would be written', () => {
    const random = prng(13);
    const rows = Array.from({ length: 50 }, () => [0, 0, 0, 0, 0].map(() => binanceDecimal(random)) as [string, string, string, string, string]);
    const text = page(rows);
    const scanned = scanKlineRows(text, Number.MAX_SAFE_INTEGER, { decimalSpans: true })!;
    const made = candlesJsonFromDecimals(text, scanned.candles, scanned.decimalSpans!);
    for (const [from, to] of [
      [0, 50],
      [0, 1],
      [49, 50],
      [10, 37],
      [20, 20],
    ] as const) {
      const part = sliceCandlesJson(made, from, to);
      expect(ascii(part.bytes)).toBe(candleObjectsJson(scanned.candles, from, to));
      expect(part.starts.length).toBe(to - from + 1);
      const sub = scanned.candles.subarray(from * CANDLE_STRIDE, to * CANDLE_STRIDE);
      if (to - from > 2) expect(ascii(sliceCandlesJson(part, 1).bytes)).toBe(candleObjectsJson(sub, 1, to - from));
    }
    expect(ascii(sliceCandlesJson(made, 7).bytes)).toBe(candleObjectsJson(scanned.candles, 7, 50));
  });
});
