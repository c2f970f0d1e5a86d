import { compressionRegistry, CompressionType } from 'apache-arrow';
import { decodeLz4Frame } from './lz4-frame.js';

let registered = false;

/**
 * Teaches apache-arrow to read LZ4_FRAME-compressed record batches (freqtrade writes feather with
 * `compression="lz4"`; without a codec apache-arrow fails with "Record batch is compressed but
 * codec not found"). The registry is process-wide, so this runs once per thread; every feather
 * read calls it, which keeps worker threads and tests free of set-up order.
 */
export function registerLz4Codec(): void {
  if (registered) return;
  compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: decodeLz4Frame });
  registered = true;
}
