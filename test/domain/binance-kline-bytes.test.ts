import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseKlineFrameJson, type KlineEvent } from '../../src/domain/binance-kline.js';
import { KlineByteScanner } from '../../src/domain/binance-kline-bytes.js';
import { fnv1a, KlineFrame } from '../../src/domain/kline-frame.js';
import { mulberry32 } from '../../tools/lib/seeded-random.js';
import { describeWithSharedFixtures, sharedFixture } from '../support/shared-fixtures.js';

const SAMPLE =
  '{"stream":"ctkusdt@kline_1m","data":{"e":"kline","E":1626992760791,"s":"CTKUSDT","k":{"t":1626992700000,"T":1626992759999,"s":"CTKUSDT","i":"1m","f":23961275,"L":23961360,"o":"1.01000","c":"1.01200","h":"1.01200","l":"1.01000","v":"11074","n":86,"x":true,"q":"11193.49000","V":"8674","Q":"8769.44400","B":"0"}}}';

const scanner = new KlineByteScanner();

/**
 * Scans `text` as the client hands it on: a view inside a larger buffer, with bytes around it.
 * `lead` bytes before it move the frame across word boundaries (the scanner compares literals
 * four bytes at a time).
 */
function scan(text: string, lead = 2): KlineFrame | undefined {
  const body = Buffer.from(text, 'utf8');
  const buf = Buffer.concat([Buffer.from('x'.repeat(lead)), body, Buffer.from('}}')]);
  const frame = new KlineFrame();
  return scanner.scan(buf, lead, lead + body.length, frame) ? frame : undefined;
}

/** What the JSON path says, in the frame's terms (stream name via its hash). */
function agree(text: string, frame: KlineFrame): void {
  const ev = parseKlineFrameJson(text) as KlineEvent;
  expect(ev.ok, text).toBe(true);
  const nameAt = '{"stream":"'.length;
  expect(Buffer.from(text).toString('latin1', nameAt, nameAt + frame.streamEnd - frame.streamStart)).toBe(ev.stream);
  expect(frame.streamHash).toBe(fnv1a(ev.stream));
  expect([frame.eventTimeMs, frame.closed, frame.candle()]).toEqual([ev.eventTimeMs, ev.closed, ev.candle]);
}

describe('KlineByteScanner', () => {
  it('reads a combined-stream frame in place, with the same values as JSON.parse', () => {
    const frame = scan(SAMPLE);
    expect(frame).toBeDefined();
    agree(SAMPLE, frame!);
  });

  it.each([
    ['a raw (non-combined) event', SAMPLE.slice(SAMPLE.indexOf('"data":') + 7, -1)],
    ['a symbol in another script (UTF-8)', SAMPLE.replaceAll('CTKUSDT', '币安人生USDT')],
    ['an escape in a string', SAMPLE.replace('"q":"11193.49000"', '"q":"11193\\u0034"')],
    ['whitespace', SAMPLE.replace('"x":true', '"x": true')],
    ['another key order', SAMPLE.replace('"o":"1.01000","c":"1.01200"', '"c":"1.01200","o":"1.01000"')],
    ['a trailing byte', `${SAMPLE} `],
    ['an exponent price', SAMPLE.replace('"o":"1.01000"', '"o":"1e3"')],
    ['open time not whole seconds', SAMPLE.replace('"t":1626992700000', '"t":1626992700001')],
  ])('declines %s (the string path decides)', (_name, text) => {
    expect(scan(text)).toBeUndefined();
  });

  it('a changed byte anywhere in the frame, at any alignment: declined, or read as JSON.parse reads it', () => {
    let accepted = 0;
    for (let at = 0; at < SAMPLE.length; at++) {
      for (const ch of ['#', '0', SAMPLE[at] === 'a' ? 'b' : 'a']) {
        if (ch === SAMPLE[at]) continue;
        const text = SAMPLE.slice(0, at) + ch + SAMPLE.slice(at + 1);
        const frame = scan(text, at % 8);
        if (!frame) continue;
        accepted++;
        agree(text, frame);
      }
      expect(scan(SAMPLE, at % 8), `unchanged at lead ${at % 8}`).toBeDefined();
    }
    // Digits changed inside numbers and letters inside names are still frames; the keys are not.
    expect(accepted).toBeGreaterThan(100);
  });

  it('an end past the buffer is not a frame: declined, never a read outside it', () => {
    // A buffer with an ArrayBuffer of its own that ends inside a literal: the words of `","Q":"`
    // would be read past it.
    const cut = SAMPLE.indexOf('","Q":"') + 1;
    const own = Buffer.alloc(cut);
    own.write(SAMPLE.slice(0, cut), 'latin1');
    expect(own.buffer.byteLength).toBe(cut);
    expect(scanner.scan(own, 0, SAMPLE.length, new KlineFrame())).toBe(false);
    expect(scanner.scan(own, -1, cut, new KlineFrame())).toBe(false);
    expect(scan(SAMPLE)).toBeDefined();
  });

  it('reads negative trade ids and long decimals exactly', () => {
    const text = SAMPLE.replace('"f":23961275,"L":23961360', '"f":-1,"L":-1').replace('"h":"1.01200"', '"h":"0.1234567890123456789"');
    const frame = scan(text)!;
    agree(text, frame);
    expect(frame.high).toBe(Number('0.1234567890123456789'));
  });

  it('10,000 mutated frames: whatever it accepts, JSON.parse accepts with the same values', () => {
    const random = mulberry32(20261202);
    const alphabet = [...'{}":,.-0123456789truefalsx\\ \u00e9'];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      let text = SAMPLE;
      for (let m = 1 + Math.floor(random() * 3); m > 0; m--) {
        const at = Math.floor(random() * text.length);
        const op = Math.floor(random() * 4);
        if (op === 0) text = text.slice(0, at) + pick(alphabet) + text.slice(at + 1);
        else if (op === 1) text = text.slice(0, at) + text.slice(at + 1);
        else if (op === 2) text = text.slice(0, at) + pick(alphabet) + text.slice(at);
        else text = text.replace(/\d/, String(Math.floor(random() * 10)));
      }
      const frame = scan(text);
      if (!frame) continue;
      accepted++;
      agree(text, frame);
    }
    // Enough mutations leave a valid frame that the agreement above means something.
    expect(accepted).toBeGreaterThan(1_000);
  });
});

describeWithSharedFixtures('KlineByteScanner on recorded Binance frames', () => {
  it.each(['BINANCE.ws.1.0', 'BINANCE_FUTURES.ws.1.0', 'BINANCE_US.ws.1.0', 'BINANCE_TR.ws.1.0'])('%s: every combined kline frame is read in place', (file) => {
    const frames = readFileSync(sharedFixture(`binance/cryptofeed-sample_data/${file}.kline-lines`), 'utf8')
      .split('\n')
      .filter((l) => /^\d+(\.\d+)?: /.test(l))
      .map((l) => l.slice(l.indexOf(': ') + 2))
      .filter((f) => f.startsWith('{"stream":'));
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      const frame = scan(f);
      expect(frame, f).toBeDefined();
      agree(f, frame!);
    }
  });
});
