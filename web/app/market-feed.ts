import { parseTopMarkets, topMarketsStreamUrl, type MarketRow } from '../sync/top-markets.js';

/** The symbol search's view of the market list: rows as they change, or why there are none. */
export interface MarketListener {
  onRows(market: string, rows: MarketRow[]): void;
  onProblem(market: string, message: string): void;
}

/** Every USDT market the list allows (contract §5: limit ≤ 200), refreshed by the server's stream. */
const LIMIT = 200;
const QUOTE = 'USDT';
/** How often the stream may push: the list of a search box needs no more. */
const INTERVAL_S = 5;

/**
 * The browser side of `/api/market/top_markets/stream`: one EventSource for the market being
 * searched (the page opens it when the search is first used, and swaps it when the market
 * changes). EventSource reconnects by itself after a network error; the server's own `error`
 * events (the exchange is failing) carry a message.
 */
export class MarketFeed {
  private source: EventSource | null = null;
  private market: string | null = null;

  constructor(private readonly listener: MarketListener) {}

  open(market: string): void {
    if (this.source && this.market === market) return;
    this.close();
    this.market = market;
    const source = new EventSource(topMarketsStreamUrl('', market, QUOTE, LIMIT, INTERVAL_S));
    source.addEventListener('top_markets', (event) => {
      try {
        this.listener.onRows(market, parseTopMarkets(JSON.parse((event as MessageEvent<string>).data)));
      } catch (err) {
        this.listener.onProblem(market, `unreadable market list: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    source.addEventListener('error', (event) => {
      // A MessageEvent is the server's `error` event; a plain Event is the connection (retried).
      if (!(event instanceof MessageEvent)) return;
      let message = 'the exchange did not answer';
      try {
        message = String((JSON.parse(event.data as string) as { message?: unknown }).message ?? message);
      } catch {}
      this.listener.onProblem(market, message);
    });
    this.source = source;
  }

  close(): void {
    this.source?.close();
    this.source = null;
    this.market = null;
  }
}
