import { parseSeriesId } from '../../src/domain/series-id.js';
import { FORMING_TICK_MS } from './demo-clock.js';

export interface BannerInfo {
  /** The gateway's base URL, e.g. http://127.0.0.1:8000. */
  readonly url: string;
  readonly exchangeUrl: string;
  /** Demo series ids; the first is the page's default. */
  readonly series: readonly string[];
  readonly historyBars: number;
  readonly barSeconds: number;
  readonly dataDir: string;
  /** Why the port is not the one asked for, if so. */
  readonly portNote?: string;
}

/** What the demo prints once everything runs: where to look, what is going on, how to stop. */
export function demoBanner(info: BannerInfo): string {
  const { url } = info;
  const first = info.series[0]!;
  const links = info.series.slice(1, 3).map((id) => `${url}/live?series_id=${id}`);
  const speed = 60 / info.barSeconds;
  const lines = [
    '',
    'kline-gateway offline demo: fake Binance + generated history + the real gateway, all on this machine',
    '',
    ...(info.portNote ? [`  Note          ${info.portNote}.`, ''] : []),
    `  Live chart    ${url}/live`,
    ...links.map((link) => `                ${link}`),
    `  HTTP API      ${url}/api/market/candles?series_id=${first}&limit=3`,
    `  WebSocket     ${url.replace(/^http/, 'ws')}/ws/market`,
    `                send {"type":"subscribe","series_id":"${first}","since":0}`,
    `  Ingest state  ${url}/api/market/debug/ingest_state`,
    `  Fake Binance  ${info.exchangeUrl}`,
    `                curl -XPOST ${info.exchangeUrl}/__control/drop   (drops the gateway's connections: it reconnects and catches up)`,
    '',
    `  Series        ${describeSeries(info.series)}`,
    `                ${info.historyBars.toLocaleString('en-US')} bars of history each, then live: an update every ${FORMING_TICK_MS} ms, a new bar every ${formatSeconds(info.barSeconds)}`,
    ...(speed > 1 ? [`                (the demo's clock runs ${formatSpeed(speed)}× faster than yours: candle times run ahead of the wall clock)`] : []),
    `  Files         ${info.dataDir}   (database and history are made afresh on every run)`,
    '',
    '  Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}

/** "futures BTC/USDT, SOL/USDT · spot BTC/USDT, ETH/USDT (1m)". */
function describeSeries(series: readonly string[]): string {
  const byMarket = new Map<string, string[]>();
  const timeframes = new Set<string>();
  for (const raw of series) {
    const id = parseSeriesId(raw);
    byMarket.set(id.market, [...(byMarket.get(id.market) ?? []), id.symbol]);
    timeframes.add(id.timeframe);
  }
  const markets = [...byMarket].map(([market, symbols]) => `${market} ${symbols.join(', ')}`).join(' · ');
  return `${markets} (${[...timeframes].join(', ')})`;
}

function formatSeconds(seconds: number): string {
  return seconds === 60 ? 'minute' : `${Number(seconds.toFixed(2))} s`;
}

function formatSpeed(speed: number): string {
  return String(Number(speed.toFixed(1)));
}
