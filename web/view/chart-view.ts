import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  createChart,
  type CandlestickData,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type MouseEventParams,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Candle } from '../../src/domain/candle.js';
import { Legend } from './legend.js';
import { priceDecimals } from './price-format.js';

const UP = '#26a69a';
const DOWN = '#ef5350';
const UP_VOLUME = 'rgba(38, 166, 154, 0.45)';
const DOWN_VOLUME = 'rgba(239, 83, 80, 0.45)';

/** Older bars are asked for when fewer than this many are left of the visible range (lightweight-charts' infinite-history demo uses 10). */
const LEFT_EDGE_BARS = 10;

/** Volume lives in the bottom fifth; candles keep clear of it. */
const VOLUME_MARGINS = { top: 0.8, bottom: 0 };
const CANDLE_MARGINS = { top: 0.08, bottom: 0.24 };

function toCandle(c: Candle): CandlestickData<UTCTimestamp> {
  return { time: c.candle_time as UTCTimestamp, open: c.open, high: c.high, low: c.low, close: c.close };
}

function toVolume(c: Candle): HistogramData<UTCTimestamp> {
  return { time: c.candle_time as UTCTimestamp, value: c.volume, color: c.close >= c.open ? UP_VOLUME : DOWN_VOLUME };
}

/** Crosshair rows are typed for every series kind; a whitespace row (no bar) has no `close`. */
function isCandleRow(row: unknown): row is CandlestickData {
  return typeof row === 'object' && row !== null && typeof (row as CandlestickData).close === 'number';
}

/**
 * The candlestick + volume chart. `showAll` (setData) is for history changes; `showTail`
 * (update) for live ticks, which is what keeps a 2000-bar chart cheap at several updates a second.
 */
export class ChartView {
  private readonly chart: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private readonly legend: Legend;
  private shownBars = 0;
  private decimals = 2;
  private last: Candle | null = null;
  private hovering = false;
  /** The user moved the chart (drag, wheel, touch, keys): only then does reaching the left edge page back. */
  private userMoved = false;

  constructor(host: HTMLElement, legendElement: HTMLElement) {
    this.chart = createChart(host, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: '#0e1117' },
        textColor: '#8b94a7',
        fontFamily: getComputedStyle(document.body).fontFamily,
        fontSize: 11,
      },
      grid: {
        vertLines: { color: 'rgba(139, 148, 167, 0.07)' },
        horzLines: { color: 'rgba(139, 148, 167, 0.07)' },
      },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { borderColor: 'rgba(139, 148, 167, 0.18)', scaleMargins: CANDLE_MARGINS },
      timeScale: { borderColor: 'rgba(139, 148, 167, 0.18)', timeVisible: true, secondsVisible: false, rightOffset: 6 },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderUpColor: UP,
      borderDownColor: DOWN,
      wickUpColor: UP,
      wickDownColor: DOWN,
    });
    this.volume = this.chart.addSeries(HistogramSeries, {
      priceScaleId: '',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    this.volume.priceScale().applyOptions({ scaleMargins: VOLUME_MARGINS });
    this.legend = new Legend(legendElement);
    this.chart.subscribeCrosshairMove((param) => this.onCrosshair(param));
    for (const type of ['pointerdown', 'wheel', 'touchstart', 'keydown'] as const)
      host.addEventListener(type, () => (this.userMoved = true), { passive: true, capture: true });
  }

  /**
   * Calls `load` when the user has scrolled to within a few bars of the oldest one shown. A chart
   * whose bars all fit on screen right after a load does not count: nobody scrolled there.
   */
  onLeftEdge(load: () => void): void {
    this.chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
      if (range && this.userMoved && this.shownBars > 0 && range.from < LEFT_EDGE_BARS) load();
    });
  }

  /**
   * Older bars were added before the first one (scroll-back). lightweight-charts keeps the view
   * anchored to the newest bar when data grows at the start, so the bars on screen stay put;
   * the logical range is restored explicitly anyway, in case a version anchors differently.
   */
  showOlder(bars: readonly Candle[], added: number): void {
    const scale = this.chart.timeScale();
    const range = scale.getVisibleLogicalRange();
    const anchor = scale.getVisibleRange()?.to;
    const x = anchor === undefined ? null : scale.timeToCoordinate(anchor);
    this.showAll(bars);
    if (range && anchor !== undefined && scale.timeToCoordinate(anchor) !== x) scale.setVisibleLogicalRange({ from: range.from + added, to: range.to + added });
  }

  /** First and last time on screen. */
  visibleTimes(): { from: number; to: number } | null {
    const range = this.chart.timeScale().getVisibleRange();
    return range ? { from: Number(range.from), to: Number(range.to) } : null;
  }

  /** Where a bar is drawn (x in CSS pixels), or null when it is not on the time scale. */
  xOf(time: number): number | null {
    return this.chart.timeScale().timeToCoordinate(time as UTCTimestamp);
  }

  setTitle(text: string): void {
    this.legend.setTitle(text);
  }

  /** Replaces every bar (series switch, history page, gap refill, snapshot). */
  showAll(bars: readonly Candle[]): void {
    const decimals = priceDecimals(bars);
    if (decimals !== this.decimals) {
      this.decimals = decimals;
      this.candles.applyOptions({ priceFormat: { type: 'price', precision: decimals, minMove: 10 ** -decimals } });
    }
    this.candles.setData(bars.map(toCandle));
    this.volume.setData(bars.map(toVolume));
    // A new series lands at its latest bar, not wherever the previous one was scrolled to.
    if (this.shownBars === 0 && bars.length > 0) {
      this.chart.timeScale().scrollToRealTime();
      this.userMoved = false;
    }
    this.shownBars = bars.length;
    this.last = bars[bars.length - 1] ?? null;
    this.refreshLegend();
  }

  /** Appends or replaces bars at the right edge; each must be at or after the last bar shown. */
  showTail(bars: readonly Candle[]): void {
    for (const bar of bars) {
      this.candles.update(toCandle(bar));
      this.volume.update(toVolume(bar));
      if (!this.last || bar.candle_time > this.last.candle_time) this.shownBars++;
      this.last = bar;
    }
    this.refreshLegend();
  }

  /** Times of the candles the chart itself holds, ascending: what setData/update actually drew from. */
  shownTimes(): number[] {
    return this.candles.data().map((row) => Number(row.time));
  }

  private onCrosshair(param: MouseEventParams): void {
    const ohlc = param.time === undefined ? undefined : param.seriesData.get(this.candles);
    if (!isCandleRow(ohlc)) {
      this.hovering = false;
      this.refreshLegend();
      return;
    }
    this.hovering = true;
    const vol = param.seriesData.get(this.volume);
    const volume = vol && 'value' in vol && typeof vol.value === 'number' ? vol.value : null;
    this.legend.show({ open: ohlc.open, high: ohlc.high, low: ohlc.low, close: ohlc.close, volume }, this.decimals);
  }

  /** Without a hovered bar the legend follows the live (last) bar. */
  private refreshLegend(): void {
    if (!this.hovering) this.legend.show(this.last, this.decimals);
  }
}
