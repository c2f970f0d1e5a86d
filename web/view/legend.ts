import { formatVolume } from './price-format.js';

/** The OHLCV values one legend line shows: the hovered bar, or the last one. */
export interface LegendBar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
}

/** The line over the chart's top-left corner: series title, then O H L C, change and volume. */
export class Legend {
  private readonly title: HTMLElement;
  private readonly values: HTMLElement;

  constructor(element: HTMLElement) {
    this.title = document.createElement('div');
    this.title.className = 'legend-title';
    this.values = document.createElement('div');
    this.values.className = 'legend-values';
    element.append(this.title, this.values);
  }

  setTitle(text: string): void {
    this.title.textContent = text;
  }

  show(bar: LegendBar | null, decimals: number): void {
    if (!bar) {
      this.values.replaceChildren();
      return;
    }
    const change = bar.open === 0 ? 0 : ((bar.close - bar.open) / bar.open) * 100;
    const direction = bar.close >= bar.open ? 'up' : 'down';
    const price = (v: number): string => v.toFixed(decimals);
    const parts: Array<[string, string]> = [
      ['O', price(bar.open)],
      ['H', price(bar.high)],
      ['L', price(bar.low)],
      ['C', price(bar.close)],
    ];
    const nodes: Node[] = parts.map(([k, v]) => field(k, v, direction));
    nodes.push(field('', `${change >= 0 ? '+' : ''}${change.toFixed(2)}%`, direction));
    if (bar.volume !== null) nodes.push(field('Vol', formatVolume(bar.volume), ''));
    this.values.replaceChildren(...nodes);
  }
}

function field(key: string, value: string, direction: string): HTMLElement {
  const span = document.createElement('span');
  span.className = 'legend-field';
  if (key) {
    const k = document.createElement('span');
    k.className = 'legend-key';
    k.textContent = key;
    span.append(k);
  }
  const v = document.createElement('span');
  v.className = direction ? `legend-value ${direction}` : 'legend-value';
  v.textContent = value;
  span.append(v);
  return span;
}
