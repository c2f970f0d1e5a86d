import { bool, int, num, url } from './setting-kinds.js';
import { setting } from './setting-spec.js';

/** Ingest settings: Binance streams, supervisor. */
export const INGEST_SETTINGS = {
  enableWhitelistIngest: setting('ingest', 'ENABLE_WHITELIST_INGEST', bool(false), 'Run pinned ingest jobs for every whitelisted series.'),
  enableOndemandIngest: setting('ingest', 'ENABLE_ONDEMAND_INGEST', bool(false), 'Start an ingest job when a WebSocket client subscribes to a series.'),
  ondemandIdleTtlS: setting('ingest', 'ONDEMAND_IDLE_TTL_S', num(60, 0, 86_400), 'Seconds an on-demand job lives with no subscriber.'),
  ondemandMaxJobs: setting(
    'ingest',
    'ONDEMAND_MAX_JOBS',
    int(256, 0, 100_000),
    'Most on-demand jobs at once (0 = unlimited); beyond it the oldest idle job is evicted or the subscribe gets `capacity`. Anonymous clients choose the series: keep a bound.',
  ),
  ingestWorkers: setting('ingest', 'INGEST_WORKERS', int(1, 1, 64), 'Ingest worker threads (series are pinned to one worker).'),
  binanceSpotWsUrl: setting('ingest', 'BINANCE_SPOT_WS_URL', url('wss://stream.binance.com:9443', ['ws', 'wss']), 'Binance spot WebSocket base URL.'),
  binanceFuturesWsUrl: setting(
    'ingest',
    'BINANCE_FUTURES_WS_URL',
    url('wss://fstream.binance.com/market', ['ws', 'wss']),
    'Binance USD-M futures WebSocket base URL.',
  ),
  binanceSpotRestUrl: setting(
    'ingest',
    'BINANCE_SPOT_REST_URL',
    url('https://api.binance.com', ['http', 'https']),
    'Binance spot REST base URL (gap fill, market list).',
  ),
  binanceFuturesRestUrl: setting(
    'ingest',
    'BINANCE_FUTURES_REST_URL',
    url('https://fapi.binance.com', ['http', 'https']),
    'Binance USD-M futures REST base URL (gap fill, market list).',
  ),
  binanceWsBatchMax: setting('ingest', 'BINANCE_WS_BATCH_MAX', int(200, 1, 100_000), 'Most closed candles per batch toward the writer.'),
  binanceWsFlushS: setting(
    'ingest',
    'BINANCE_WS_FLUSH_S',
    num(0.5, 0, 60),
    'Longest a closed candle waits in a batch under load (at low load it goes at once).',
  ),
  binanceWsSilenceTimeoutS: setting(
    'ingest',
    'BINANCE_WS_SILENCE_TIMEOUT_S',
    num(60, 0.1, 3600),
    'A Binance connection with no data frame for this long is replaced (pings do not count).',
  ),
  binanceWsRotateAfterS: setting(
    'ingest',
    'BINANCE_WS_ROTATE_AFTER_S',
    num(82_800, 0.5, 86_400),
    'Replace each connection make-before-break after this long (Binance cuts at 24 h; default 23 h).',
  ),
  binanceWsReconnectMinMs: setting(
    'ingest',
    'BINANCE_WS_RECONNECT_MIN_MS',
    int(1000, 10, 600_000),
    'First reconnect delay after a lost connection (doubles per failure, with jitter).',
  ),
  binanceWsReconnectMaxMs: setting(
    'ingest',
    'BINANCE_WS_RECONNECT_MAX_MS',
    int(30_000, 10, 3_600_000),
    'Longest reconnect delay (Binance allows 300 connection attempts per 5 min per IP).',
  ),
  ingestGapHoldMaxS: setting(
    'ingest',
    'INGEST_GAP_HOLD_MAX_S',
    num(30, 0, 3600),
    "Longest a series' newer closed candles wait for a hole to be filled from REST before going out anyway (subscribers then get a `gap`).",
  ),
} as const;
