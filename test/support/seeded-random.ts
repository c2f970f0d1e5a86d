/** Tests use the product's seeded PRNG, so fuzz runs are reproducible from their seed. */
export { mulberry32 as seededRandom } from '../../tools/lib/seeded-random.js';

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}
