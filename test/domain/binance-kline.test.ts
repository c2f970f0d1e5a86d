import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKlineFrame, parseKlineFrameJson, type KlineEvent, type ParsedFrame } from '../../src/domain/binance-kline.js';
import { scanKlineFrame } from '../../src/domain/binance-kline-scan.js';
import { describeWithSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';
import { mulberry32 } from '../../tools/lib/seeded-random.js';

const DIR = 'binance/cryptofeed-sample_data/';

/** Frames of a cryptofeed recording: `<seconds>: <frame>` per line after the URL line. */
function frames(file: string): { lines: string[]; frames: string[] } {
  const lines = readFileSync(sharedFixture(DIR + file), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  return { lines, frames: lines.filter((l) => /^\d+(\.\d+)?: /.test(l)).map((l) => l.slice(l.indexOf(': ') + 2)) };
}

const SAMPLE =
  '{"stream":"ctkusdt@kline_1m","data":{"e":"kline","E":1626992760791,"s":"CTKUSDT","k":{"t":1626992700000,"T":1626992759999,"s":"CTKUSDT","i":"1m","f":23961275,"L":23961360,"o":"1.01000","c":"1.01200","h":"1.01200","l":"1.01000","v":"11074","n":86,"x":true,"q":"11193.49000","V":"8674","Q":"8769.44400","B":"0"}}}';
const RAW = SAMPLE.slice(SAMPLE.indexOf('"data":') + 7, -1);

describeWithSharedFixtures('kline parser on recorded Binance frames', () => {
  it('yields the 4 closed futures candles with their recorded values', () => {
    const parsed = frames('BINANCE_FUTURES.ws.1.0.kline-lines').frames.map(parseKlineFrame);
    expect(parsed).toHaveLength(67);
    expect(parsed.every((p) => p.ok)).toBe(true);
    const closed = (parsed as KlineEvent[]).filter((p) => p.closed);
    expect(closed.map((c) => [c.stream, c.symbol, c.interval, c.eventTimeMs, c.candle])).toEqual([
      ['sushiusdt@kline_1m', 'SUSHIUSDT', '1m', 1626992760203, { candle_time: 1626992700, open: 7.608, high: 7.618, low: 7.607, close: 7.617, volume: 3005 }],
      ['ctkusdt@kline_1m', 'CTKUSDT', '1m', 1626992760791, { candle_time: 1626992700, open: 1.01, high: 1.012, low: 1.01, close: 1.012, volume: 11074 }],
      [
        'akrousdt@kline_1m',
        'AKROUSDT',
        '1m',
        1626992762003,
        { candle_time: 1626992700, open: 0.01731, high: 0.01733, low: 0.01731, close: 0.01733, volume: 235736 },
      ],
      ['keepusdt@kline_1m', 'KEEPUSDT', '1m', 1626992762004, { candle_time: 1626992700, open: 0.2463, high: 0.2466, low: 0.2458, close: 0.2466, volume: 8464 }],
    ]);
  });

  it.each([
    ['BINANCE.ws.1.0.kline-lines', 2, 0],
    ['BINANCE_FUTURES.ws.1.0.kline-lines', 67, 4],
    ['BINANCE_US.ws.1.0.kline-lines', 5, 1],
    ['BINANCE_TR.ws.1.0.kline-lines', 8, 4],
  ])('%s: every line is a kline, the fast path takes it and agrees with JSON.parse', (file, count, closedCount) => {
    const list = frames(file).frames;
    expect(list).toHaveLength(count);
    for (const f of list) {
      const fast = scanKlineFrame(f);
      expect(fast, f).toBeDefined();
      expect(fast).toEqual(parseKlineFrameJson(f));
    }
    expect(list.map(parseKlineFrame).filter((p) => p.ok && p.closed)).toHaveLength(closedCount);
  });

  it.each(['BINANCE.ws.1.0', 'BINANCE_FUTURES.ws.1.0', 'BINANCE_US.ws.1.0', 'BINANCE_TR.ws.1.0'])('%s: non-kline lines are skipped, never thrown', (file) => {
    const { lines, frames: list } = frames(file);
    const reasons = new Map<string, number>();
    let klines = 0;
    for (const line of lines) {
      // The whole line too (URL header, timestamp prefix): garbage for the parser, not a crash.
      expect(parseKlineFrame(line).ok).toBe(false);
    }
    for (const f of list) {
      const p = parseKlineFrame(f);
      if (p.ok) klines++;
      else reasons.set(p.reason, (reasons.get(p.reason) ?? 0) + 1);
    }
    expect(klines).toBe(list.filter((f) => f.includes('"e":"kline"')).length);
    expect(klines + [...reasons.values()].reduce((a, b) => a + b, 0)).toBe(list.length);
    expect([...reasons.keys()].every((r) => r === 'other_event' || r === 'unknown')).toBe(true);
  });
});

describe('kline parser shapes', () => {
  it('parses a raw (non-combined) event and derives the stream name', () => {
    const p = parseKlineFrame(RAW) as KlineEvent;
    expect(p.ok).toBe(true);
    expect(p.stream).toBe('ctkusdt@kline_1m');
    expect(p.candle.candle_time).toBe(1626992700);
    expect(scanKlineFrame(RAW)).toEqual(p);
  });

  it('takes the JSON path for valid frames in another layout (whitespace, key order)', () => {
    const reordered = JSON.stringify({ data: JSON.parse(RAW), stream: 'ctkusdt@kline_1m' }, null, 1);
    expect(scanKlineFrame(reordered)).toBeUndefined();
    expect(parseKlineFrame(reordered)).toEqual(parseKlineFrame(SAMPLE));
  });

  it.each<[string, string, Partial<ParsedFrame>]>([
    ['subscription reply', '{"result":null,"id":7}', { ok: false, reason: 'reply', id: 7 }],
    ['error reply', '{"error":{"code":2,"msg":"Invalid request"},"id":3}', { ok: false, reason: 'error_reply', id: 3 }],
    ['server shutdown', '{"e":"serverShutdown","E":1700000000000}', { ok: false, reason: 'server_shutdown' }],
    ['combined server shutdown', '{"stream":"x","data":{"e":"serverShutdown","E":1}}', { ok: false, reason: 'server_shutdown' }],
    ['wrapped server shutdown (WebSocket API form)', '{"event":{"e":"serverShutdown","E":1770123456789}}', { ok: false, reason: 'server_shutdown' }],
    ['depth update', '{"stream":"a@depth","data":{"e":"depthUpdate","E":1,"b":[["1","2"]]}}', { ok: false, reason: 'other_event' }],
    ['bookTicker without e', '{"stream":"a@bookTicker","data":{"u":1,"s":"A","b":"1"}}', { ok: false, reason: 'unknown' }],
    ['not JSON', '{"stream":', { ok: false, reason: 'not_json' }],
    ['empty text', '', { ok: false, reason: 'not_json' }],
    ['array', '[1,2]', { ok: false, reason: 'not_object' }],
    ['null', 'null', { ok: false, reason: 'not_object' }],
    ['E as string', RAW.replace('"E":1626992760791', '"E":"1626992760791"'), { ok: false, reason: 'bad_kline', detail: 'E' }],
    ['open time not whole seconds', RAW.replace('"t":1626992700000', '"t":1626992700001'), { ok: false, reason: 'bad_kline', detail: 'k.t' }],
    ['negative open time', RAW.replace('"t":1626992700000', '"t":-1626992700000'), { ok: false, reason: 'bad_kline', detail: 'k.t' }],
    ['empty price', RAW.replace('"o":"1.01000"', '"o":""'), { ok: false, reason: 'bad_kline', detail: 'price' }],
    ['exponent price', RAW.replace('"o":"1.01000"', '"o":"1e3"'), { ok: false, reason: 'bad_kline', detail: 'price' }],
    ['hex price', RAW.replace('"v":"11074"', '"v":"0x1f"'), { ok: false, reason: 'bad_kline', detail: 'price' }],
    ['x as string', RAW.replace('"x":true', '"x":"true"'), { ok: false, reason: 'bad_kline', detail: 'k.x' }],
    ['k missing', '{"e":"kline","E":1,"s":"A"}', { ok: false, reason: 'bad_kline', detail: 'k' }],
  ])('%s → skip', (_name, text, expected) => {
    expect(parseKlineFrame(text)).toMatchObject(expected);
    expect(scanKlineFrame(text)).toBeUndefined();
  });

  it('accepts JSON numbers for prices and long decimals exactly', () => {
    const numeric = RAW.replace('"o":"1.01000"', '"o":1.01').replace('"v":"11074"', '"v":"12345678901234567.25"');
    const p = parseKlineFrame(numeric) as KlineEvent;
    expect(p.candle.open).toBe(1.01);
    expect(p.candle.volume).toBe(Number('12345678901234567.25'));
    const long = RAW.replace('"h":"1.01200"', '"h":"0.1234567890123456789"');
    expect(scanKlineFrame(long)?.candle.high).toBe(Number('0.1234567890123456789'));
  });
});

describe('kline parser fuzz', () => {
  const rng = mulberry32;
  const ALPHABET = '{}[]":,.-0123456789eEtruefalsnl \\\n\tklinexE"x"o"\u0000\u00e9';

  it('10,000 mutated and random frames never throw, and the fast path never disagrees with JSON.parse', () => {
    const random = rng(20260101);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const seeds = [SAMPLE, RAW, '{"result":null,"id":1}', '{"e":"serverShutdown","E":1}'];
    let klines = 0;
    for (let i = 0; i < 10_000; i++) {
      let text = pick(seeds);
      const mutations = 1 + Math.floor(random() * 4);
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(random() * (text.length + 1));
        const op = Math.floor(random() * 6);
        if (op === 0) text = text.slice(0, at) + pick([...ALPHABET]) + text.slice(at + 1);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 5));
        else if (op === 2) text = text.slice(0, at) + pick([...ALPHABET]) + text.slice(at);
        else if (op === 3) text = text.slice(0, at);
        else if (op === 4) text = text.replace(/\d/, String(Math.floor(random() * 10)));
        else text = Array.from({ length: Math.floor(random() * 40) }, () => pick([...ALPHABET])).join('');
      }
      let reference: ParsedFrame | undefined;
      let actual: ParsedFrame | undefined;
      expect(() => {
        reference = parseKlineFrameJson(text);
        actual = parseKlineFrame(text);
      }).not.toThrow();
      expect(actual, text).toEqual(reference);
      if (actual?.ok) klines++;
    }
    // The mutations must leave some frames valid, or the comparison above proves little.
    expect(klines).toBeGreaterThan(500);
  });
});
