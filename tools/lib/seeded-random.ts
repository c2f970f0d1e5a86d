/**
 * mulberry32: a tiny, fast, seedable PRNG. The same seed gives the same sequence on every
 * platform, so generated fixtures, fake exchange data and fuzz runs are reproducible.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit seed from several parts (FNV-1a over them, then murmur3's finaliser), so that each
 * (seed, symbol, day) has its own sequence: what one part draws never depends on which other
 * parts were drawn before, or in what order.
 */
export function mixSeed(...parts: ReadonlyArray<number | string>): number {
  let h = 0x811c9dc5;
  const eat = (byte: number) => {
    h = Math.imul(h ^ (byte & 0xff), 0x01000193);
  };
  for (const part of parts) {
    if (typeof part === 'string') for (let i = 0; i < part.length; i++) eat(part.charCodeAt(i));
    else for (let shift = 0, v = Math.floor(part); shift < 48; shift += 8) eat(Math.floor(v / 2 ** shift));
    eat(0x1f); // part separator: ('ab', 'c') and ('a', 'bc') differ
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

/**
 * Standard normal variates from `uniform`: Marsaglia's polar method (no sine or cosine, unlike
 * Box–Muller), both values of each pair used.
 */
export function gaussianFrom(uniform: () => number): () => number {
  let spare = 0;
  let hasSpare = false;
  return () => {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    let x: number;
    let y: number;
    let s: number;
    do {
      x = 2 * uniform() - 1;
      y = 2 * uniform() - 1;
      s = x * x + y * y;
    } while (s >= 1 || s === 0);
    const scale = Math.sqrt((-2 * Math.log(s)) / s);
    spare = y * scale;
    hasSpare = true;
    return x * scale;
  };
}
