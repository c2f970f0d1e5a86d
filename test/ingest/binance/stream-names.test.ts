import { describe, expect, it } from 'vitest';
import { fnv1a } from '../../../src/domain/kline-frame.js';
import { StreamNames } from '../../../src/ingest/binance/stream-names.js';

const message = (...names: string[]) => Buffer.from(names.join('|'), 'latin1');

describe('StreamNames', () => {
  it('returns the same interned string for every frame of a stream', () => {
    const names = new StreamNames();
    const a = message('btcusdt@kline_1m');
    const b = message('xx', 'btcusdt@kline_1m');
    const first = names.resolve(a, 0, 16, fnv1a('btcusdt@kline_1m'));
    const again = names.resolve(b, 3, 19, fnv1a('btcusdt@kline_1m'));
    expect(first).toBe('btcusdt@kline_1m');
    expect(again).toBe(first);
    expect(names.size).toBe(1);
  });

  it('never returns the wrong name on a hash collision', () => {
    const names = new StreamNames();
    const bytes = message('ethusdt@kline_1m', 'solusdt@kline_1m', 'eth');
    // Both resolved under one (forced) hash: the second is decoded from its bytes each time.
    expect(names.resolve(bytes, 0, 16, 42)).toBe('ethusdt@kline_1m');
    expect(names.resolve(bytes, 17, 33, 42)).toBe('solusdt@kline_1m');
    expect(names.resolve(bytes, 17, 33, 42)).toBe('solusdt@kline_1m');
    // Same hash, shorter name with the same prefix.
    expect(names.resolve(bytes, 34, 37, 42)).toBe('eth');
    expect(names.resolve(bytes, 0, 16, 42)).toBe('ethusdt@kline_1m');
  });

  it('keeps at most 4,096 names and still resolves the rest', () => {
    const names = new StreamNames();
    for (let i = 0; i < 5_000; i++) {
      const name = `s${i}usdt@kline_1m`;
      expect(names.resolve(message(name), 0, name.length, fnv1a(name))).toBe(name);
    }
    expect(names.size).toBe(4_096);
  });
});
