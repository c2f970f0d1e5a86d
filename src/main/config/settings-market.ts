import { autoBool, bool, int, num, str } from './setting-kinds.js';
import { MIB, setting } from './setting-spec.js';

/** Market settings: HTTP reads, WebSocket sessions, hub. */
export const MARKET_SETTINGS = {
  wsCatchupLimit: setting('market', 'MARKET_WS_CATCHUP_LIMIT', int(5000, 1, 100_000), 'Most closed candles sent as catch-up on subscribe.'),
  wsMaxSubscriptions: setting('market', 'MARKET_WS_MAX_SUBSCRIPTIONS', int(200, 1, 100_000), 'Series one WebSocket may subscribe to at once.'),
  wsMaxOndemandSeries: setting(
    'market',
    'MARKET_WS_MAX_ONDEMAND_SERIES',
    int(32, 1, 100_000),
    'On-demand ingested series one WebSocket may hold at once (whitelisted ones do not count); beyond it the subscribe gets `capacity` (`ondemand_connection_limit`).',
  ),
  wsMaxMessageBytes: setting(
    'market',
    'MARKET_WS_MAX_MESSAGE_BYTES',
    int(64 * 1024, 256, 16 * MIB),
    'Largest client frame; a bigger one closes the socket with 1009.',
  ),
  wsMaxBufferedBytes: setting(
    'market',
    'MARKET_WS_MAX_BUFFERED_BYTES',
    int(4 * MIB, 64 * 1024, 1024 * MIB),
    'Per-socket outbound buffer bound; closed data that cannot be queued closes the socket with 1008.',
  ),
  wsMaxTotalBufferedBytes: setting(
    'market',
    'MARKET_WS_MAX_TOTAL_BUFFERED_BYTES',
    int(256 * MIB, MIB, 64 * 1024 * MIB),
    'Outbound buffer bound for all sockets together: a quarter is kept for topic leases (native fan-out); of the rest, past half backlogged sockets skip forming updates and a backlogged socket whose closed data would pass it is closed with 1008.',
  ),
  wsFormingSkipBytes: setting(
    'market',
    'MARKET_WS_FORMING_SKIP_BYTES',
    int(256 * 1024, 0, 1024 * MIB),
    'Above this many buffered bytes a socket skips forming updates (closed data still flows).',
  ),
  wsIdleTimeoutS: setting(
    'market',
    'MARKET_WS_IDLE_TIMEOUT_S',
    int(120, 0, 960),
    'Close a WebSocket silent for this long (the server pings automatically); 0 = never.',
  ),
  formingMinIntervalMs: setting(
    'market',
    'MARKET_FORMING_MIN_INTERVAL_MS',
    int(250, 0, 60_000),
    'Per-series forming throttle for exchange ingest (latest wins, trailing send); 0 = off.',
  ),
  tailCacheCandles: setting(
    'market',
    'MARKET_TAIL_CACHE_CANDLES',
    int(5000, 0, 1_000_000),
    'Latest closed candles kept in memory per active series (0 disables the tail cache).',
  ),
  tailCacheSeries: setting(
    'market',
    'MARKET_TAIL_CACHE_SERIES',
    int(512, 1, 1_000_000),
    'Series kept in the tail cache; the least recently used is dropped beyond this.',
  ),
  enableGapBackfill: setting('market', 'ENABLE_MARKET_GAP_BACKFILL', bool(false), 'Fill a hole (from the store, then the exchange) before announcing a `gap`.'),
  gapBackfillReadLimit: setting('market', 'MARKET_GAP_BACKFILL_READ_LIMIT', int(5000, 1, 100_000), 'Most candles one gap backfill may read and send.'),
  enableTailCoverage: setting(
    'market',
    'ENABLE_MARKET_TAIL_COVERAGE',
    autoBool('on when whitelist or on-demand ingest is on'),
    "The first read of a series (GET without `since`, WebSocket subscribe, snapshot) and a job's start first fetch its missing tail: freqtrade file, download trigger, then Binance REST.",
  ),
  tailCandles: setting(
    'market',
    'MARKET_TAIL_CANDLES',
    int(2000, 1, 50_000),
    'Closed candles up to the last closed bar that tail coverage makes sure are stored.',
  ),
  tailCoverageWaitMs: setting(
    'market',
    'MARKET_TAIL_COVERAGE_WAIT_MS',
    int(10_000, 0, 600_000),
    'Longest a read waits for its tail coverage or scroll-back fetch; then it answers from what is stored (the fetch goes on).',
  ),
  tailCoverageMaxPending: setting(
    'market',
    'MARKET_TAIL_COVERAGE_MAX_PENDING',
    int(1000, 1, 100_000),
    'Series waiting for or running tail coverage at once; beyond it a new series is read from the store as it is (logged, counted).',
  ),
  tailCoverageRetryS: setting(
    'market',
    'MARKET_TAIL_COVERAGE_RETRY_S',
    num(30, 0, 86_400),
    'After a failed tail coverage (REST down, banned, timeouts), the next try waits this long (doubling, up to 10 min).',
  ),
  binanceTickerTtlS: setting(
    'market',
    'BINANCE_TICKER_TTL_S',
    num(10, 1, 3600),
    "Market list: Binance's 24h tickers are fetched at most this often, and the list's streams poll at this rate (one call per interval for every client).",
  ),
  binanceExchangeInfoTtlS: setting(
    'market',
    'BINANCE_EXCHANGEINFO_TTL_S',
    num(3600, 1, 86_400),
    "Binance's symbol lists (exchangeInfo: market list, symbol checks) are fetched at most this often.",
  ),
  marketListMaxStreams: setting(
    'market',
    'MARKET_LIST_MAX_STREAMS',
    int(10_000, 1, 1_000_000),
    'Open `top_markets/stream` clients allowed at once; beyond it a new one gets 503 `overloaded`.',
  ),
  enableKlineHealthV2: setting(
    'market',
    'ENABLE_KLINE_HEALTH_V2',
    bool(false),
    'Enables `GET /api/market/health` (the series health lamp) without the whole debug API.',
  ),
  klineHealthBackfillRecentSeconds: setting(
    'market',
    'KLINE_HEALTH_BACKFILL_RECENT_SECONDS',
    int(120, 0, 86_400),
    'Series health: a lagging series whose backfill succeeded this recently is `yellow` (`backfill_recent`), not `red`.',
  ),
  whitelistPath: setting(
    'market',
    'WHITELIST_PATH',
    str('config/market_whitelist.json', 'a file path'),
    'JSON file `{"series_ids":[...]}`: the pinned series.',
  ),
} as const;
