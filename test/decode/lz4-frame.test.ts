import lz4js from 'lz4js';
import { describe, expect, it } from 'vitest';
import { decodeLz4Frame, Lz4FormatError } from '../../src/decode/lz4-frame.js';
import { mulberry32 } from '../../tools/lib/seeded-random.js';

function randomBytes(n: number, seed: number, alphabet = 256): Uint8Array {
  const random = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(random() * alphabet));
}

/** A float64 column like a price series: compressible, with short matches (the common case). */
function priceBytes(n: number): Uint8Array {
  const random = mulberry32(7);
  const values = new Float64Array(n);
  let p = 20_000;
  for (let i = 0; i < n; i++) values[i] = p = Math.round((p + (random() - 0.5) * 20) * 100) / 100;
  return new Uint8Array(values.buffer);
}

/** Builds a frame by hand: magic, FLG, BD, header checksum byte (not verified), blocks, end mark. */
function frame(flg: number, bd: number, blocks: { bytes: Uint8Array; raw: boolean }[], extraHeader: number[] = []): Uint8Array {
  const out: number[] = [0x04, 0x22, 0x4d, 0x18, flg, bd, ...extraHeader, 0x00];
  for (const block of blocks) {
    const size = block.bytes.length | (block.raw ? 0x80000000 : 0);
    out.push(size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, (size >>> 24) & 0xff, ...block.bytes);
    if (flg & 0x10) out.push(0, 0, 0, 0); // block checksum (skipped by the decoder)
  }
  out.push(0, 0, 0, 0);
  return Uint8Array.from(out);
}

describe('decodeLz4Frame', () => {
  it('decodes what lz4js compresses, byte for byte, at many sizes and kinds of data', () => {
    const inputs = [
      new Uint8Array(0),
      Uint8Array.of(1, 2, 3),
      new Uint8Array(100_000), // one long run: overlapping matches
      randomBytes(70_000, 1), // incompressible: stored blocks
      randomBytes(200_000, 2, 4), // small alphabet: many short matches
      priceBytes(65_536), // a 64Ki-row float64 column as the feather writer compresses it
      priceBytes(600_000), // > 4 MiB: several linked blocks, matches across block boundaries
    ];
    for (const input of inputs) {
      const compressed = lz4js.compress(input);
      const decoded = decodeLz4Frame(compressed);
      expect(decoded.length).toBe(input.length);
      expect(Buffer.from(decoded).equals(Buffer.from(input))).toBe(true);
    }
  });

  it('returns a buffer of its own, not a view of shared scratch space', () => {
    const a = decodeLz4Frame(lz4js.compress(Uint8Array.of(1, 1, 1, 1)));
    decodeLz4Frame(lz4js.compress(Uint8Array.of(9, 9, 9, 9)));
    expect([...a]).toEqual([1, 1, 1, 1]);
    expect(a.buffer.byteLength).toBe(4);
  });

  it('reads frames with independent 64 KiB blocks, content size, dictionary id and checksums', () => {
    // Block: literals "abcd" then a match of 8 at offset 4, then a final literal "z".
    const block = Uint8Array.of(0x44, 97, 98, 99, 100, 4, 0, 0x10, 122);
    const withEverything = frame(0x40 | 0x20 | 0x10 | 0x08 | 0x04 | 0x01, 0x40, [{ bytes: block, raw: false }], [...new Array(8).fill(0), 1, 2, 3, 4]);
    const withContentChecksum = Uint8Array.from([...withEverything, 0, 0, 0, 0]);
    expect(Buffer.from(decodeLz4Frame(withContentChecksum)).toString()).toBe('abcdabcdabcdz');
  });

  it('copies stored (uncompressed) blocks', () => {
    const f = frame(0x60, 0x40, [
      { bytes: Uint8Array.of(5, 6, 7), raw: true },
      { bytes: Uint8Array.of(0x10, 8), raw: false },
    ]);
    expect([...decodeLz4Frame(f)]).toEqual([5, 6, 7, 8]);
  });

  it('rejects malformed input instead of returning garbage', () => {
    const good = lz4js.compress(priceBytes(1000));
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['bad magic', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)],
      ['wrong version', frame(0x80, 0x40, [])],
      ['bad block size code', frame(0x40, 0x10, [])],
      ['truncated', good.subarray(0, good.length - 10)],
      ['no end mark', good.subarray(0, good.length - 4)],
      ['match before start', frame(0x40, 0x40, [{ bytes: Uint8Array.of(0x10, 97, 9, 0, 0x00), raw: false }])],
      ['zero offset', frame(0x40, 0x40, [{ bytes: Uint8Array.of(0x10, 97, 0, 0, 0x00), raw: false }])],
      ['literals past block end', frame(0x40, 0x40, [{ bytes: Uint8Array.of(0x50, 97, 98), raw: false }])],
      ['block larger than its maximum', frame(0x40, 0x40, [{ bytes: new Uint8Array(70_000), raw: true }])],
      ['ends after a match', frame(0x40, 0x40, [{ bytes: Uint8Array.of(0x10, 97, 1, 0), raw: false }])],
    ];
    for (const [name, bytes] of cases) {
      expect(() => decodeLz4Frame(bytes), name).toThrow(Lz4FormatError);
    }
  });
});
