/**
 * Stream names of one connection, interned: the byte scanner hashes a frame's stream name while
 * reading it (FNV-1a), and this finds the string made the first time that name was seen, so a
 * frame costs a hash lookup and a byte compare instead of a new string. Routing (a Map keyed by
 * the string) then hashes an interned string, whose hash V8 has cached.
 *
 * Bounded: a connection carries at most 1,024 streams on Binance (200 per futures connection
 * here), so a server sending more distinct names than MAX_NAMES is not Binance; names past the
 * bound are decoded per frame (correct, just slower) rather than kept.
 */
const MAX_NAMES = 4096;

export class StreamNames {
  private readonly byHash = new Map<number, string>();

  /** The stream name in `bytes[start, end)` (printable ASCII, checked by the scanner), whose FNV-1a hash is `hash`. */
  resolve(bytes: Buffer, start: number, end: number, hash: number): string {
    const known = this.byHash.get(hash);
    if (known !== undefined && sameAscii(known, bytes, start, end)) return known;
    const name = bytes.toString('latin1', start, end);
    // A hash collision keeps the first name; the other is decoded each time (never seen in practice).
    if (known === undefined && this.byHash.size < MAX_NAMES) this.byHash.set(hash, name);
    return name;
  }

  get size(): number {
    return this.byHash.size;
  }
}

function sameAscii(text: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}
