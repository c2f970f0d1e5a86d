/**
 * LZ4 frame decoder (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md and
 * lz4_Block_format.md) for the buffers of LZ4_FRAME-compressed Arrow IPC files.
 *
 * Why not lz4js's `decompress` (which we use to write frames): it does not bounds-check, so a
 * damaged buffer decodes silently into zero-filled garbage, and it allocates the frame's
 * worst-case size per buffer. This decoder rejects malformed or truncated input with
 * `Lz4FormatError`, returns an exact-size buffer, and copies in words or native copies where it
 * can: 20-30% faster than lz4js on 1M-row OHLCV feathers (bench/history-decode.ts). Checksums,
 * when a frame has them, are skipped, not verified (pandas/pyarrow frames carry none).
 */

export class Lz4FormatError extends Error {
  constructor(message: string) {
    super(`LZ4 frame: ${message}`);
    this.name = 'Lz4FormatError';
  }
}

const MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const BLOCK_UNCOMPRESSED_BIT = 0x80000000;
/** Block maximum sizes by the BD byte's 3-bit index (4..7); other indexes are invalid. */
const MAX_BLOCK_SIZE: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
/** Below this many bytes a plain loop beats the call into a native copy. */
const NATIVE_COPY_MIN = 32;

/** Decode target reused across calls; one exact-size copy per buffer leaves it. */
let scratch = new Uint8Array(0);
let scratchView = new DataView(scratch.buffer);

export function decodeLz4Frame(src: Uint8Array): Uint8Array {
  if (src.length < 7 || readU32(src, 0) !== MAGIC) throw new Lz4FormatError('bad magic number');
  const flg = src[4]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw new Lz4FormatError(`unsupported version bits in FLG 0x${flg.toString(16)}`);
  const maxBlock = MAX_BLOCK_SIZE[(src[5]! >> 4) & 7];
  if (maxBlock === undefined) throw new Lz4FormatError('invalid block maximum size');
  let s = 6 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0) + 1; // + header checksum
  const blockChecksum = flg & FLG_BLOCK_CHECKSUM ? 4 : 0;

  const bound = decodedBound(src, s, maxBlock, blockChecksum);
  if (scratch.length < bound) {
    scratch = new Uint8Array(bound);
    scratchView = new DataView(scratch.buffer);
  }
  const dst = scratch;
  let d = 0;
  for (;;) {
    const word = readU32(src, s);
    s += 4;
    if (word === 0) break;
    const size = (word & ~BLOCK_UNCOMPRESSED_BIT) >>> 0;
    if (word & BLOCK_UNCOMPRESSED_BIT) {
      dst.set(src.subarray(s, s + size), d);
      d += size;
    } else {
      d = decodeBlock(src, s, s + size, dst, scratchView, d, d + maxBlock);
    }
    s += size + blockChecksum;
  }
  if (flg & FLG_CONTENT_CHECKSUM && s + 4 > src.length) throw new Lz4FormatError('truncated content checksum');
  return dst.slice(0, d);
}

/** Walks the block headers: checks every block lies inside `src` and sums the output bound. */
function decodedBound(src: Uint8Array, start: number, maxBlock: number, blockChecksum: number): number {
  let s = start;
  let bound = 0;
  for (;;) {
    if (s + 4 > src.length) throw new Lz4FormatError('truncated (no end mark)');
    const word = readU32(src, s);
    s += 4;
    if (word === 0) return bound;
    const size = (word & ~BLOCK_UNCOMPRESSED_BIT) >>> 0;
    if (size > maxBlock) throw new Lz4FormatError(`block of ${size} bytes exceeds the ${maxBlock}-byte maximum`);
    s += size + blockChecksum;
    if (s > src.length) throw new Lz4FormatError('truncated block');
    bound += word & BLOCK_UNCOMPRESSED_BIT ? size : maxBlock;
  }
}

/**
 * Decodes one compressed block from src[s, sEnd) into dst at d; returns the new end of output.
 * Matches may reach back into earlier blocks of the frame (linked-block frames need that).
 */
function decodeBlock(src: Uint8Array, s: number, sEnd: number, dst: Uint8Array, dstView: DataView, d: number, dLimit: number): number {
  while (s < sEnd) {
    const token = src[s++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (s >= sEnd) throw new Lz4FormatError('truncated literal length');
        b = src[s++]!;
        literals += b;
      } while (b === 255);
    }
    if (literals > 0) {
      if (s + literals > sEnd || d + literals > dLimit) throw new Lz4FormatError('literal run overruns the block');
      if (literals >= NATIVE_COPY_MIN) {
        dst.set(src.subarray(s, s + literals), d);
        d += literals;
        s += literals;
      } else {
        for (const end = s + literals; s < end;) dst[d++] = src[s++]!;
      }
    }
    if (s === sEnd) return d; // the last sequence has literals only
    if (s + 2 > sEnd) throw new Lz4FormatError('truncated match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    let matchLength = token & 15;
    if (matchLength === 15) {
      let b: number;
      do {
        if (s >= sEnd) throw new Lz4FormatError('truncated match length');
        b = src[s++]!;
        matchLength += b;
      } while (b === 255);
    }
    matchLength += 4;
    let m = d - offset;
    if (offset === 0 || m < 0) throw new Lz4FormatError('match offset outside the decoded data');
    if (d + matchLength > dLimit) throw new Lz4FormatError('match overruns the block');
    const end = d + matchLength;
    if (matchLength >= NATIVE_COPY_MIN && offset >= matchLength) {
      dst.copyWithin(d, m, m + matchLength);
      d = end;
    } else {
      // Overlapping matches (offset < length) repeat the last `offset` bytes, so the copy runs
      // forward; 4 bytes at a time is safe when offset >= 4 (every word read is already written).
      // Most OHLCV matches are 4-9 bytes: word copies measured ~20% faster than byte copies.
      if (offset >= 4) {
        for (; d + 4 <= end; d += 4, m += 4) dstView.setUint32(d, dstView.getUint32(m));
      }
      while (d < end) dst[d++] = dst[m++]!;
    }
  }
  throw new Lz4FormatError('block ends inside a sequence');
}

function readU32(src: Uint8Array, at: number): number {
  return (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) >>> 0;
}
