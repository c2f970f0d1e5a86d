/**
 * Rendezvous (highest-random-weight) hashing: every node computes, from the same list of live
 * ingest nodes, the same preferred owner for a series, with no coordination. When a node joins or
 * leaves, only the series it gains or held change hands (about 1/N of them), which is what keeps
 * a rebalance after a restart small.
 */
export function preferredNode(seriesId: string, nodes: readonly string[]): string | null {
  let best: string | null = null;
  let bestWeight = -1;
  for (const node of nodes) {
    const weight = fnv1a32(`${node}\u0000${seriesId}`);
    if (weight > bestWeight || (weight === bestWeight && best !== null && node < best)) {
      best = node;
      bestWeight = weight;
    }
  }
  return best;
}

/** FNV-1a, 32 bits, over UTF-16 code units: fast, well spread for short keys, same on every node. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32): FNV alone leaves similar keys with similar weights.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
