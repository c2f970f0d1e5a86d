import type { LiveMarket } from './series-id.js';

/**
 * Binance's market-data answers as the market list needs them (sources.md "Market list"), parsed
 * without trusting their shape: a missing or odd field drops that row, never the whole answer.
 * Decimals arrive as strings; numbers that do not parse become null.
 */

export interface SymbolInfo {
  /** Exchange symbol, e.g. `BTCUSDT` (futures delivery contracts: `BTCUSDT_261225`). */
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  /** `TRADING`, `BREAK`, `SETTLING`, … */
  readonly status: string;
  /** Futures: `PERPETUAL`, `CURRENT_QUARTER`, …; '' on spot. */
  readonly contractType: string;
}

export interface Ticker24h {
  readonly symbol: string;
  readonly lastPrice: number | null;
  readonly quoteVolume: number | null;
  readonly priceChangePercent: number | null;
}

/** Symbols of an exchangeInfo answer, by exchange symbol; undefined when it is not one. */
export function parseExchangeInfo(body: unknown): Map<string, SymbolInfo> | undefined {
  const symbols = isObject(body) ? body.symbols : undefined;
  if (!Array.isArray(symbols)) return undefined;
  const out = new Map<string, SymbolInfo>();
  for (const s of symbols) {
    if (!isObject(s)) continue;
    const symbol = text(s.symbol);
    const base = text(s.baseAsset);
    const quote = text(s.quoteAsset);
    if (!symbol || !base || !quote) continue;
    out.set(symbol, { symbol, base, quote, status: text(s.status), contractType: text(s.contractType) });
  }
  return out;
}

/** Rows of a ticker/24hr answer for every symbol; undefined when it is not a list. */
export function parseTickers24h(body: unknown): Ticker24h[] | undefined {
  if (!Array.isArray(body)) return undefined;
  const out: Ticker24h[] = [];
  for (const row of body) {
    if (!isObject(row)) continue;
    const symbol = text(row.symbol);
    if (!symbol) continue;
    out.push({ symbol, lastPrice: decimal(row.lastPrice), quoteVolume: decimal(row.quoteVolume), priceChangePercent: decimal(row.priceChangePercent) });
  }
  return out;
}

/**
 * Whether a symbol belongs on the market list (trade_canvas's rule): trading now and, on futures,
 * a perpetual (delivery contracts expire; a chart of one is a different, dated market).
 */
export function listable(info: SymbolInfo, market: LiveMarket): boolean {
  if (info.status !== 'TRADING') return false;
  return market === 'spot' || info.contractType === '' || info.contractType === 'PERPETUAL';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function text(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

function decimal(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}
