import { describe, expect, it } from 'vitest';
import { readKlinePage, type KlinePage } from '../../src/domain/binance-kline-page.js';
import { parseKlineRows } from '../../src/domain/binance-rest-rows.js';
import { scanKlineRows } from '../../src/domain/binance-rest-scan.js';
import { klineRow } from '../../tools/fake-binance/fake-rest.js';
import { anyDecimal, binanceDecimal } from '../support/decimal-strings.js';
import { seededRandom } from '../support/seeded-random.js';

/**
 * The REST klines scanner against the JSON path it replaces: for any text, readKlinePage (scanner,
 * JSON.parse fallback) must give what JSON.parse + parseKlineRows gives, candles bit for bit; and
 * on Binance's exact layout the scanner itself must answer (else the fast path is never taken).
 */

/** The JSON path, written out here independently of readKlinePage's fallback. */
function jsonPath(text: string, nowMs: number, dropLast = false): KlinePage | 'not_json' | 'not_array' {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'not_json';
  }
  if (!Array.isArray(body)) return 'not_array';
  const openMs = (row: unknown) => (Array.isArray(row) && Number.isSafeInteger(row[0]) ? (row[0] as number) : undefined);
  return {
    ...parseKlineRows(dropLast ? body.slice(0, -1) : body, nowMs)!,
    rows: body.length,
    firstRowOpenMs: openMs(body[0]),
    lastRowOpenMs: openMs(body[body.length - 1]),
  };
}

/** Comparable form: the candles as their bytes (tells -0 from 0), the rest as is. */
function comparable(page: KlinePage | 'not_json' | 'not_array' | undefined): unknown {
  if (typeof page !== 'object') return page;
  const { candles, ...rest } = page;
  return { ...rest, candles: Buffer.from(candles.buffer, candles.byteOffset, candles.byteLength).toString('hex') };
}

function expectSameAsJson(text: string, nowMs: number): void {
  for (const dropLast of [false, true]) {
    const expected = comparable(jsonPath(text, nowMs, dropLast));
    expect(comparable(readKlinePage(text, nowMs, { dropLast })), text).toEqual(expected);
    const scanned = scanKlineRows(text, nowMs, { dropLast });
    if (scanned !== undefined) expect(comparable(scanned), text).toEqual(expected);
  }
}

const prng = seededRandom;
const decimal = anyDecimal;

const NOW_MS = 1_700_000_000_000;
const MINUTE_MS = 60_000;

function page(random: () => number, rows: number, value: (random: () => number) => string): string {
  const out: unknown[] = [];
  for (let i = 0; i < rows; i++) {
    const t = NOW_MS - (rows - i) * MINUTE_MS + MINUTE_MS * 2; // the last two bars are still open at NOW_MS
    out.push([
      t,
      value(random),
      value(random),
      value(random),
      value(random),
      value(random),
      t + MINUTE_MS - 1,
      value(random),
      Math.floor(random() * 500),
      '0',
      '0',
      '0',
    ]);
  }
  return JSON.stringify(out);
}

describe('scanKlineRows', () => {
  it('reads pages of Binance-like decimals bit for bit as the JSON path does', () => {
    const random = prng(1);
    for (let i = 0; i < 40; i++) {
      const text = page(random, 1 + Math.floor(random() * 1000), binanceDecimal);
      expect(scanKlineRows(text, NOW_MS)).toBeDefined();
      expectSameAsJson(text, NOW_MS);
      expectSameAsJson(text, Number.MAX_SAFE_INTEGER);
    }
  });

  it('reads decimals of any length (past 15 digits, past 10^22, negative, -0) as Number() does', () => {
    const random = prng(2);
    for (let i = 0; i < 200; i++) {
      const text = page(random, 50, decimal);
      expect(scanKlineRows(text, NOW_MS)).toBeDefined();
      expectSameAsJson(text, NOW_MS);
    }
    const edge = [
      '-0',
      '-0.0',
      '0.000',
      '9007199254740993',
      '0.1',
      '123456789012345.6',
      `${'9'.repeat(400)}`,
      `-${'9'.repeat(400)}`,
      `0.${'0'.repeat(30)}1`,
      `1${'0'.repeat(30)}`,
      '100.00000000',
    ];
    const text = JSON.stringify(edge.map((d, i) => [i * MINUTE_MS, d, d, d, d, d, i * MINUTE_MS + MINUTE_MS - 1, '0', 1, '0', '0', '0']));
    expect(scanKlineRows(text, NOW_MS)).toMatchObject({ count: edge.length - 2, malformed: 2 });
    expectSameAsJson(text, NOW_MS);
  });

  it('reads what the fake exchange sends', () => {
    const bars = Array.from({ length: 1000 }, (_, i) => {
      const t = NOW_MS - 1000 * MINUTE_MS + i * MINUTE_MS;
      return {
        t,
        T: t + MINUTE_MS - 1,
        o: '57500.12000000',
        h: '57600.00000000',
        l: '57400.50000000',
        c: '57550.01000000',
        v: '12.34500000',
        n: 42,
        firstTrade: 0,
        lastTrade: 0,
      };
    });
    const text = JSON.stringify(bars.map(klineRow));
    expect(scanKlineRows(text, NOW_MS)).toMatchObject({ count: 1000, open: 0, malformed: 0, rows: 1000, lastOpenMs: NOW_MS - MINUTE_MS });
    expectSameAsJson(text, NOW_MS);
  });

  it('counts open bars and rows malformed inside a well-shaped row as the JSON path does', () => {
    const row = (t: number, o = '1.5', closeT = t + MINUTE_MS - 1) => [t, o, '2', '1', '1.5', '10', closeT, '0', 1, '0', '0', '0'];
    const rows = [row(60_000), row(120_500), row(180_000, 'abc'), row(240_000, ''), row(300_000, '1.'), row(360_000, '.5'), row(420_000, '1e5')];
    rows.push(row(480_000, '+1'), row(540_000, '1.2.3'), row(600_000, 'Ⅻ'), row(660_000, '--1'), row(720_000, ' 1'), row(780_000), row(840_000));
    const text = JSON.stringify(rows);
    expect(scanKlineRows(text, 840_000)).toMatchObject({ count: 2, open: 1, malformed: 11, lastOpenMs: 840_000, firstRowOpenMs: 60_000 });
    expect(scanKlineRows(text, 840_000, { dropLast: true })).toMatchObject({
      count: 2,
      open: 0,
      malformed: 11,
      lastOpenMs: 780_000,
      rows: 14,
      lastRowOpenMs: 840_000,
    });
    expectSameAsJson(text, 840_000);
    // The last row malformed, open, closed: dropLast undoes each.
    for (const last of [row(900_500), row(900_000, 'x'), row(900_000), row(900_000, '1', 2 ** 40)])
      expectSameAsJson(JSON.stringify([row(60_000), last]), 10 ** 9);
  });

  it('leaves every other text to the JSON path, which decides it', () => {
    const good = JSON.stringify([[60_000, '1', '2', '1', '1.5', '10', 119_999, '0', 1, '0', '0', '0']]);
    const others = [
      '[]',
      '',
      '[',
      '{"code":-1121,"msg":"Invalid symbol."}',
      'null',
      '[[]]',
      '[null]',
      JSON.stringify(JSON.parse(good), null, 1), // whitespace
      ` ${good}`,
      `${good}\n`,
      good.replace('"1.5"', '1.5'), // a number where Binance sends a string
      good.replace('"1.5"', '"\\u0031.5"'), // an escape
      good.replace('"0",1,', '"0\\n",1,'),
      good.replace(',"0"]]', ']]'), // a field fewer
      good.replace(',"0"]]', ',"0","0"]]'), // a field more
      good.replace(',"0"]]', ',"0",null]]'),
      good.replace('60000', '-60000'), // negative open time
      good.replace('119999', '-1'), // negative close time (a safe integer: the JSON path takes it)
      good.replace('60000', '060000'), // not JSON
      good.replace('60000', '60000.0'),
      good.replace('60000', '6e4'),
      good.replace('60000', '9007199254740992000'), // beyond safe integers
      good.replace('60000', '1000000000000000'), // 16 digits, safe
      good.replace('"0",1,', '"0",1.5,'),
      good.replace('"0",1,', '"0",-1,'),
      good.replace('"0",1,', '"0",01,'),
      good.replace('"0",1,', '"0","1",'),
      good.replace('"1.5"', '"1.5\u0001"'), // a control character: not JSON
      `${good.slice(0, -1)},[1]]`,
      `${good.slice(0, -1)},${good.slice(1)}`,
      `${good}]`,
      `${good.slice(0, -1)},]`,
      good.slice(0, -1),
      good.replace('"1.5"', '"1.5],[x"'), // a separator inside a string
    ];
    for (const text of others) {
      expectSameAsJson(text, NOW_MS);
      expectSameAsJson(text, Number.MAX_SAFE_INTEGER);
    }
    expect(readKlinePage('{"code":-1121,"msg":"Invalid symbol."}', NOW_MS)).toBe('not_array');
    expect(readKlinePage('[[1,', NOW_MS)).toBe('not_json');
  });

  it('never throws and always agrees with the JSON path on mutated pages', () => {
    const random = prng(3);
    const alphabet = '[]{},."-0123456789eE+ \\nabu';
    for (let i = 0; i < 3000; i++) {
      const base = page(random, 1 + Math.floor(random() * 4), random() < 0.5 ? binanceDecimal : decimal).split('');
      for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
        const at = Math.floor(random() * base.length);
        const op = random();
        if (op < 0.4) base.splice(at, 1);
        else if (op < 0.8) base.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)]!);
        else base[at] = alphabet[Math.floor(random() * alphabet.length)]!;
      }
      expectSameAsJson(base.join(''), NOW_MS);
    }
  });
});
