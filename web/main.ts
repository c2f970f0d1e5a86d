import './styles.css';
import { parseSeriesId } from '../src/domain/series-id.js';
import { browserTransport, marketSocketUrl } from './app/browser-transport.js';
import { readPageParams, urlWithSeries } from './app/page-params.js';
import { HealthPoller } from './sync/health-poller.js';
import { SeriesSync } from './sync/series-sync.js';
import { ChartView } from './view/chart-view.js';
import { HealthLamp } from './view/health-lamp.js';
import { SeriesPicker } from './view/series-picker.js';
import { StatusLine } from './view/status-line.js';
import { exposeChartDebugHandle, writeHooks } from './view/test-hooks.js';

/** The /live page: wires URL → picker → sync → chart and health lamp, and keeps the test hooks current. */

function required<T extends HTMLElement>(selector: string): T {
  const element = document.querySelector<T>(selector);
  if (!element) throw new Error(`live page markup is missing ${selector}`);
  return element;
}

const chartElement = required<HTMLElement>('[data-testid="chart-view"]');
const view = new ChartView(required('[data-chart-host]'), required('[data-testid="chart-legend"]'));
exposeChartDebugHandle(view);
const statusLine = new StatusLine(required('[data-testid="status-line"]'));
const params = readPageParams(location.search);
const transport = browserTransport();
const lamp = new HealthLamp(required('[data-testid="health-lamp"]'));
const health = new HealthPoller(transport, (view) => lamp.show(view));
let lastClosedSeen: number | null = null;
document.documentElement.dataset.mode = params.mode;

const sync = new SeriesSync({
  transport,
  wsUrl: marketSocketUrl(location),
  mode: params.mode,
  warn: (message) => console.warn(`[live] ${message}`),
  listener: {
    onBars(change) {
      if (change.kind === 'bulk') view.showAll(sync.book.bars());
      else if (change.kind === 'older') view.showOlder(sync.book.bars(), change.count);
      else if (change.kind === 'tail') view.showTail(change.bars);
      refreshHooks();
    },
    onStatus(status, reason) {
      statusLine.show(status, reason);
      refreshHooks();
    },
  },
});

function refreshHooks(): void {
  // A closed candle arrived over WS: the lamp asks again at once rather than at its next poll.
  if (sync.lastWsCandleTime !== lastClosedSeen) {
    lastClosedSeen = sync.lastWsCandleTime;
    if (lastClosedSeen !== null) health.nudge();
  }
  writeHooks(chartElement, {
    seriesId: sync.seriesId,
    length: sync.book.length,
    last: sync.book.last(),
    lastWsCandleTime: sync.lastWsCandleTime,
    status: sync.status,
  });
}

function title(seriesId: string): string {
  try {
    const id = parseSeriesId(seriesId);
    return `${id.symbol} · ${id.timeframe} · ${id.exchange} ${id.market}`;
  } catch {
    return seriesId;
  }
}

// Scroll-back: the user reached the oldest bar shown; the gateway pages back as far as the exchange goes.
view.onLeftEdge(() => void sync.loadOlder());

const picker = new SeriesPicker(required('header'), select);

/** One place where the shown series changes: URL (no reload, no history entry), picker, chart. */
function select(seriesId: string): void {
  history.replaceState(history.state, '', urlWithSeries(location.href, seriesId));
  picker.show(seriesId);
  view.setTitle(title(seriesId));
  document.title = `${title(seriesId)} — kline-gateway`;
  sync.switchTo(seriesId);
  health.watch(seriesId);
  refreshHooks();
}

statusLine.show(sync.status, sync.statusReason);
select(params.seriesId);
