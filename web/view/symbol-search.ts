import { MarketFeed } from '../app/market-feed.js';
import { filterMarkets, formatChange, type MarketRow } from '../sync/top-markets.js';
import { formatVolume } from './price-format.js';

/** Options listed at once: enough to scroll, few enough to render on every keystroke. */
const MAX_OPTIONS = 50;

/**
 * The symbol box as a search over the market list (issue 12): focus or type to see the market's
 * symbols by 24h volume, filtered by what is typed, each with its 24h change and quote volume;
 * ↑/↓ move, Enter or a click opens, Escape closes. Enter with nothing highlighted submits the
 * typed text as before, so any symbol (also one not on the list) still loads. ARIA combobox with
 * a listbox; hooks: `symbol-results`, `symbol-option` (`data-symbol`).
 */
export class SymbolSearch {
  private readonly rows = new Map<string, MarketRow[]>();
  private readonly problems = new Map<string, string>();
  private readonly feed = new MarketFeed({
    onRows: (market, rows) => {
      this.rows.set(market, rows);
      this.problems.delete(market);
      if (market === this.market()) this.render();
    },
    onProblem: (market, message) => {
      this.problems.set(market, message);
      if (market === this.market()) this.render();
    },
  });
  private shown: MarketRow[] = [];
  private active = -1;
  private isOpen = false;

  constructor(
    private readonly input: HTMLInputElement,
    private readonly list: HTMLElement,
    private readonly market: () => string,
    private readonly onPick: (symbol: string) => void,
  ) {
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('aria-expanded', 'false');
    input.addEventListener('focus', () => this.show());
    input.addEventListener('input', () => {
      this.active = -1;
      this.show();
    });
    input.addEventListener('keydown', (event) => this.onKey(event));
    input.addEventListener('blur', () => this.hide());
    // mousedown keeps the focus in the input (a blur would hide the list before the click).
    list.addEventListener('mousedown', (event) => event.preventDefault());
    list.addEventListener('click', (event) => {
      const option = (event.target as HTMLElement).closest<HTMLElement>('[data-symbol]');
      if (option) this.pick(option.dataset.symbol!);
    });
  }

  /** The market select changed: list that market's symbols. */
  marketChanged(): void {
    if (this.isOpen) this.show();
  }

  private show(): void {
    this.isOpen = true;
    this.feed.open(this.market());
    this.render();
  }

  private hide(): void {
    this.isOpen = false;
    this.active = -1;
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }

  private onKey(event: KeyboardEvent): void {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!this.isOpen) this.show();
      if (this.shown.length === 0) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + this.shown.length) % this.shown.length;
      this.highlight();
    } else if (event.key === 'Enter' && this.isOpen && this.active >= 0) {
      event.preventDefault(); // the form would submit the typed text instead
      this.pick(this.shown[this.active]!.symbol);
    } else if (event.key === 'Escape' && this.isOpen) {
      event.preventDefault();
      this.hide();
    }
  }

  private pick(symbol: string): void {
    this.input.value = symbol;
    this.hide();
    this.onPick(symbol);
  }

  private render(): void {
    if (!this.isOpen) return;
    const market = this.market();
    const rows = this.rows.get(market);
    this.shown = rows ? filterMarkets(rows, this.input.value, MAX_OPTIONS) : [];
    if (this.active >= this.shown.length) this.active = this.shown.length - 1;
    const problem = this.problems.get(market);
    const note = !rows ? (problem ? `Market list unavailable: ${problem}` : 'Loading markets…') : this.shown.length === 0 ? 'No listed symbol matches' : null;
    this.list.replaceChildren(...(note ? [noteItem(note)] : this.shown.map((row, i) => optionItem(row, i))));
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.highlight();
  }

  private highlight(): void {
    const options = this.list.querySelectorAll<HTMLElement>('[role="option"]');
    options.forEach((option, i) => option.setAttribute('aria-selected', String(i === this.active)));
    const current = options[this.active];
    if (current) {
      this.input.setAttribute('aria-activedescendant', current.id);
      current.scrollIntoView({ block: 'nearest' });
    } else this.input.removeAttribute('aria-activedescendant');
  }
}

function optionItem(row: MarketRow, i: number): HTMLElement {
  const li = document.createElement('li');
  li.id = `symbol-option-${i}`;
  li.className = 'symbol-option';
  li.setAttribute('role', 'option');
  li.dataset.testid = 'symbol-option';
  li.dataset.symbol = row.symbol;
  const change = row.changePct === null ? '' : row.changePct >= 0 ? 'up' : 'down';
  li.append(
    cell('opt-symbol', row.symbol),
    cell('opt-price', row.lastPrice === null ? '—' : String(row.lastPrice)),
    cell(`opt-change ${change}`, formatChange(row.changePct)),
    cell('opt-volume', formatVolume(row.quoteVolume)),
  );
  li.title = `${row.symbol}: 24h change ${formatChange(row.changePct)}, 24h volume ${formatVolume(row.quoteVolume)} (quote)`;
  return li;
}

function noteItem(text: string): HTMLElement {
  const li = document.createElement('li');
  li.className = 'symbol-note';
  li.dataset.testid = 'symbol-note';
  li.textContent = text;
  return li;
}

function cell(className: string, text: string): HTMLElement {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}
