import { parseSeriesId } from '../../src/domain/series-id.js';
import { SymbolSearch } from './symbol-search.js';

/** The timeframe buttons (issue 5); a series with another timeframe still loads, with none lit. */
export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;

export interface PickerParts {
  exchange: string;
  market: string;
  symbol: string;
  timeframe: string;
}

/** `exchange:market:symbol:timeframe` (contract §1); the symbol is upper-cased as Binance spells it. */
export function composeSeriesId(parts: PickerParts): string {
  return `${parts.exchange.trim()}:${parts.market.trim()}:${parts.symbol.trim().toUpperCase()}:${parts.timeframe.trim()}`;
}

/**
 * Exchange / market / symbol (a search over the market list) / timeframe controls. They only
 * propose a series_id; the page
 * decides what is shown and calls `show()` back, so URL, chart and controls never disagree.
 */
export class SeriesPicker {
  private readonly form: HTMLFormElement;
  private readonly exchange: HTMLSelectElement;
  private readonly market: HTMLSelectElement;
  private readonly symbol: HTMLInputElement;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private timeframe: string = TIMEFRAMES[0];

  constructor(
    root: HTMLElement,
    private readonly onSelect: (seriesId: string) => void,
  ) {
    this.form = root.querySelector<HTMLFormElement>('[data-testid="series-picker"]')!;
    this.exchange = root.querySelector<HTMLSelectElement>('[data-testid="exchange-select"]')!;
    this.market = root.querySelector<HTMLSelectElement>('[data-testid="market-select"]')!;
    this.symbol = root.querySelector<HTMLInputElement>('[data-testid="symbol-input"]')!;
    const group = root.querySelector<HTMLElement>('[data-testid="timeframes"]')!;
    for (const tf of TIMEFRAMES) group.append(this.timeframeButton(tf));
    const search = new SymbolSearch(
      this.symbol,
      root.querySelector<HTMLElement>('[data-testid="symbol-results"]')!,
      () => this.market.value,
      () => this.propose(),
    );

    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.propose();
    });
    this.exchange.addEventListener('change', () => this.propose());
    this.market.addEventListener('change', () => {
      search.marketChanged();
      this.propose();
    });
  }

  /** Reflects the series on screen; parts of an unparseable id are left as they were. */
  show(seriesId: string): void {
    let id;
    try {
      id = parseSeriesId(seriesId);
    } catch {
      return;
    }
    ensureOption(this.exchange, id.exchange);
    ensureOption(this.market, id.market);
    this.exchange.value = id.exchange;
    this.market.value = id.market;
    this.symbol.value = id.symbol;
    this.timeframe = id.timeframe;
    for (const [tf, button] of this.buttons) button.setAttribute('aria-pressed', String(tf === id.timeframe));
  }

  private timeframeButton(tf: string): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'tf';
    button.textContent = tf;
    button.dataset.testid = `timeframe-${tf}`;
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => {
      this.timeframe = tf;
      this.propose();
    });
    this.buttons.set(tf, button);
    return button;
  }

  private propose(): void {
    if (!this.symbol.value.trim()) {
      this.symbol.focus();
      return;
    }
    this.onSelect(
      composeSeriesId({
        exchange: this.exchange.value,
        market: this.market.value,
        symbol: this.symbol.value,
        timeframe: this.timeframe,
      }),
    );
  }
}

/** A series from the URL may name a market the select does not list; show it rather than lie. */
function ensureOption(select: HTMLSelectElement, value: string): void {
  if (![...select.options].some((o) => o.value === value)) select.append(new Option(value, value));
}
