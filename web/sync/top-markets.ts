import { WireFormatError } from './wire.js';

/**
 * The market list as the page's symbol search uses it (`/api/market/top_markets[/stream]`,
 * contract §5): parsed defensively, filtered by what the user types. DOM-free.
 */

export interface MarketRow {
  /** `BASE/QUOTE`, the series symbol. */
  readonly symbol: string;
  readonly base: string;
  readonly lastPrice: number | null;
  readonly quoteVolume: number;
  readonly changePct: number | null;
}

/** Rows of a `top_markets` answer or stream event, by quote volume (the server's order). */
export function parseTopMarkets(raw: unknown): MarketRow[] {
  if (raw === null || typeof raw !== 'object' || !Array.isArray((raw as { items?: unknown }).items)) {
    throw new WireFormatError('market list without items');
  }
  const rows: MarketRow[] = [];
  for (const item of (raw as { items: unknown[] }).items) {
    if (item === null || typeof item !== 'object') continue;
    const { symbol, base_asset, last_price, quote_volume, price_change_percent } = item as Record<string, unknown>;
    if (typeof symbol !== 'string' || typeof quote_volume !== 'number') continue;
    rows.push({
      symbol,
      base: typeof base_asset === 'string' ? base_asset : symbol.split('/')[0]!,
      lastPrice: typeof last_price === 'number' ? last_price : null,
      quoteVolume: quote_volume,
      changePct: typeof price_change_percent === 'number' ? price_change_percent : null,
    });
  }
  return rows;
}

/**
 * Rows matching `query` (case-insensitive, `/` optional: "ethusdt", "eth/", "ETH"): symbols whose
 * base starts with it first, then any other symbol containing it, each group by volume.
 */
export function filterMarkets(rows: readonly MarketRow[], query: string, max: number): MarketRow[] {
  const q = query
    .trim()
    .toUpperCase()
    .replace(/[/:\s]/g, '');
  if (q === '') return rows.slice(0, max);
  const starts: MarketRow[] = [];
  const contains: MarketRow[] = [];
  for (const row of rows) {
    const flat = row.symbol.replace('/', '');
    if (row.base.startsWith(q) || flat.startsWith(q)) starts.push(row);
    else if (flat.includes(q)) contains.push(row);
  }
  return [...starts, ...contains].slice(0, max);
}

/** `+1.23%`, `-0.45%`, `—` when unknown. */
export function formatChange(pct: number | null): string {
  if (pct === null) return '—';
  return `${pct > 0 ? '+' : ''}${pct.toFixed(2)}%`;
}

export function topMarketsStreamUrl(httpBase: string, market: string, quote: string, limit: number, intervalS: number): string {
  // Plain encoding (no URLSearchParams: this folder is checked against the ES library only).
  const q = `exchange=binance&market=${encodeURIComponent(market)}&quote_asset=${encodeURIComponent(quote)}&limit=${limit}&interval_s=${intervalS}`;
  return `${httpBase}/api/market/top_markets/stream?${q}`;
}
