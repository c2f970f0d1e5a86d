// lz4js 0.2.0 ships no types; these are the parts we use (see node_modules/lz4js/lz4.js).
declare module 'lz4js' {
  const lz4js: {
    /** Compresses `src` into one LZ4 frame (4 MiB linked blocks, no checksums). */
    compress(src: Uint8Array, maxSize?: number): Uint8Array;
    /** Decompresses one LZ4 frame. Not bounds-checked: we use it only as a test oracle. */
    decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  };
  export default lz4js;
}
