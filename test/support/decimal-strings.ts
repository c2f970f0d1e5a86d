/**
 * Decimal strings for the REST klines tests (the scanner, the JSON written from its digits):
 * every shape `-?\d+(\.\d+)?` takes, and the shape Binance sends. Seeded (seeded-random.ts), so a
 * failing case is reproducible from its seed.
 */

export const digits = (random: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');

/** Any decimal: leading/trailing zeros, 1–25 integer digits, 0–24 fraction digits, some negative. */
export function anyDecimal(random: () => number): string {
  const sign = random() < 0.05 ? '-' : '';
  const lead = random() < 0.3 ? '0'.repeat(1 + Math.floor(random() * 3)) : '';
  const int = lead + digits(random, 1 + Math.floor(random() ** 3 * 25));
  const fraction = random() < 0.2 ? '' : `.${digits(random, 1 + Math.floor(random() * 24))}${random() < 0.4 ? '0'.repeat(Math.floor(random() * 8)) : ''}`;
  return sign + int + fraction;
}

/** What Binance sends: 8 places, zero-padded, from 0 to ~10^11. */
export const binanceDecimal = (random: () => number): string => (random() * 10 ** Math.floor(random() * 12)).toFixed(8);
