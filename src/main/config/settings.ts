import { autoBool, bool, host, int, num, oneOf, str, url, type SettingKind } from './setting-kinds.js';

const MIB = 1024 * 1024;

interface Setting<T> {
  /** Environment variable; every one keeps trade_canvas's `TRADE_CANVAS_` prefix (contract §4). */
  readonly env: string;
  readonly kind: SettingKind<T>;
  /** One line for docs/operations.md. */
  readonly doc: string;
  /** Section heading in docs/operations.md. */
  readonly group: 'server' | 'market' | 'storage' | 'ingest' | 'history' | 'cluster';
}

function setting<T>(group: Setting<T>['group'], env: string, kind: SettingKind<T>, doc: string): Setting<T> {
  return { env: `TRADE_CANVAS_${env}`, kind, doc, group };
}

/**
 * Every setting the gateway reads. docs/operations.md is generated from this table
 * (`npm run docs:settings`) and a test fails when the two disagree.
 */
export const SETTINGS = {
  // --- server ---------------------------------------------------------------------------------
  host: setting('server', 'HOST', host('127.0.0.1'), 'Interface the HTTP/WS server listens on.'),
  port: setting('server', 'PORT', int(8000, 0, 65535), 'TCP port; 0 picks a free port (printed at start-up).'),
  apiToken: setting('server', 'API_TOKEN', str('', 'any text; empty = no token'), 'When set, write and debug routes need `Authorization: Bearer <token>`.'),
  enableDevApi: setting('server', 'ENABLE_DEV_API', bool(false), 'Enables `POST /api/dev/market/ingest/candles_closed_batch`.'),
  enableDebugApi: setting(
    'server',
    'ENABLE_DEBUG_API',
    bool(false),
    'Enables the forming-candle ingest route, `GET /api/market/debug/ingest_state`, `…/debug/series_health` and `GET /api/market/health`.',
  ),
  maxBodyBytes: setting(
    'server',
    'MAX_BODY_BYTES',
    int(4 * MIB, 1024, 256 * MIB),
    'Largest accepted HTTP request body (413 above it); the default fits a 20,000-candle batch.',
  ),
  logLevel: setting('server', 'LOG_LEVEL', oneOf('info', ['debug', 'info', 'warn', 'error', 'silent'] as const), 'Log verbosity (JSON lines on stdout).'),
  corsOrigins: setting(
    'server',
    'CORS_ORIGINS',
    str('http://localhost:5173,http://127.0.0.1:5173', 'comma-separated origins, or *'),
    "Browser origins allowed to call the HTTP API (trade_canvas's dev frontend by default).",
  ),
  allowedHosts: setting(
    'server',
    'ALLOWED_HOSTS',
    str('', 'comma-separated host names or IPs, or *; empty = automatic'),
    'Host headers answered (DNS rebinding): empty = only loopback names when bound to loopback, any otherwise.',
  ),
  shutdownTimeoutS: setting(
    'server',
    'SHUTDOWN_TIMEOUT_S',
    num(10, 0.1, 600),
    'Longest a graceful stop may take before the process exits anyway (exit code 1).',
  ),

  // --- market: HTTP reads, WebSocket sessions, hub ------------------------------------------------
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

  // --- storage ----------------------------------------------------------------------------------
  store: setting(
    'storage',
    'STORE',
    oneOf('sqlite', ['sqlite', 'postgres'] as const),
    'Where candles are stored: sqlite = the embedded file (DB_PATH), postgres = the database at PG_URL.',
  ),
  dbPath: setting('storage', 'DB_PATH', str('data/market.db', 'a file path'), 'SQLite database file (created with its directory if missing).'),
  pgUrl: setting(
    'storage',
    'PG_URL',
    url('', ['postgres', 'postgresql']),
    'PostgreSQL database (`postgres://user[:password]@host:port/db`), required with STORE=postgres; libpq `PG*` variables fill what it leaves out.',
  ),
  pgPoolSize: setting('storage', 'PG_POOL_SIZE', int(4, 1, 200), 'PostgreSQL connections for reads (the writer has one more of its own).'),
  pgStatementTimeoutMs: setting(
    'storage',
    'PG_STATEMENT_TIMEOUT_MS',
    int(30_000, 0, 3_600_000),
    'Longest a PostgreSQL statement may run (0 = no limit); a drain over it fails, is logged and retried.',
  ),
  pgConnectWaitS: setting(
    'storage',
    'PG_CONNECT_WAIT_S',
    num(0, 0, 86_400),
    'How long start-up waits for PostgreSQL to accept connections, retrying (0 = exit at once with the reason).',
  ),
  sqliteSynchronous: setting(
    'storage',
    'SQLITE_SYNCHRONOUS',
    oneOf('FULL', ['FULL', 'NORMAL', 'OFF'] as const),
    'SQLite `synchronous`: FULL survives power loss; OFF only process crashes.',
  ),
  writerMaxPendingCandles: setting(
    'storage',
    'WRITER_MAX_PENDING_CANDLES',
    int(2_000_000, 1000, 100_000_000),
    'Bound of the writer queue (candles from every producer, counted by the writer); HTTP ingest answers 503 `overloaded` beyond it, also while commits fail.',
  ),
  writerRowsPerStatement: setting(
    'storage',
    'WRITER_ROWS_PER_STATEMENT',
    int(100, 1, 4000),
    'Rows per multi-row upsert statement (100 measured fastest, docs/benchmarks.md).',
  ),

  // --- ingest: Binance streams, supervisor ----------------------------------------------------------
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

  // --- history: freqtrade datadir ---------------------------------------------------------------
  historySource: setting(
    'history',
    'MARKET_HISTORY_SOURCE',
    oneOf('', ['', 'freqtrade'] as const),
    "Where a new series' history comes from: '' = none, freqtrade = the datadir.",
  ),
  freqtradeDatadir: setting('history', 'FREQTRADE_DATADIR', str('', 'a directory path'), 'freqtrade datadir (searched as-is and with /<exchange> appended).'),
  freqtradeConfig: setting(
    'history',
    'FREQTRADE_CONFIG',
    str('', 'a file path'),
    'freqtrade config JSON whose `datadir` is used when FREQTRADE_DATADIR is empty.',
  ),
  freqtradeUserdir: setting(
    'history',
    'FREQTRADE_USERDIR',
    str('', 'a directory path'),
    'freqtrade user_data dir; `<userdir>/data` is the last datadir fallback.',
  ),
  freqtradeBootstrapLimit: setting(
    'history',
    'FREQTRADE_BOOTSTRAP_LIMIT',
    int(2000, 0, 100_000_000),
    'Bootstrap when a series has fewer stored candles than this; imports the file tail of this size (0 = whole file).',
  ),
  freqtradeBootstrapWaitMs: setting(
    'history',
    'FREQTRADE_BOOTSTRAP_WAIT_MS',
    int(5000, 0, 600_000),
    "Longest an HTTP read or WebSocket catch-up waits for its series' running bootstrap; then it answers from what is stored.",
  ),
  freqtradeDownload: setting('history', 'FREQTRADE_DOWNLOAD', bool(false), 'Run `freqtrade download-data` when a series has no file.'),
  freqtradeDownloadCooldownS: setting(
    'history',
    'FREQTRADE_DOWNLOAD_COOLDOWN_S',
    num(600, 0, 86_400 * 7),
    'Least seconds between two downloads of the same pair and timeframe.',
  ),
  freqtradeDownloadCommand: setting(
    'history',
    'FREQTRADE_DOWNLOAD_COMMAND',
    str('', 'a command template'),
    'Overrides the download command (split on spaces, no shell); {pair} {timeframe} {exchange} {datadir} {trading_mode_args} are substituted.',
  ),
  freqtradeBin: setting('history', 'FREQTRADE_BIN', str('freqtrade', 'an executable name or path'), 'freqtrade executable for the default download command.'),

  // --- cluster: several nodes over NATS JetStream (docs/operations.md "Running several nodes") ---
  role: setting(
    'cluster',
    'ROLE',
    oneOf('all', ['all', 'ingest', 'read'] as const),
    'What this node does: all = ingest and serve; ingest = own Binance jobs (leases), serve HTTP/WS too; read = serve HTTP/WS only. ingest and read need BUS=nats and STORE=postgres.',
  ),
  bus: setting(
    'cluster',
    'BUS',
    oneOf('none', ['none', 'nats'] as const),
    'none = one node (committed candles go straight to its hub); nats = committed candles, forming candles and ingest leases travel over NATS JetStream (needs STORE=postgres).',
  ),
  natsUrl: setting('cluster', 'NATS_URL', str('', 'nats://host:port[,nats://host:port…]'), 'NATS server(s) of the cluster, required with BUS=nats.'),
  nodeName: setting(
    'cluster',
    'NODE_NAME',
    str('', 'letters, digits, - and _; empty = <hostname>-<pid>'),
    "This node's name in leases, logs, metrics and ingest_state; unique in the cluster.",
  ),
  busSubjectPrefix: setting(
    'cluster',
    'BUS_PREFIX',
    str('kline', 'a NATS subject token (letters, digits, - and _)'),
    "Prefix of the cluster's subjects, stream and buckets: nodes with the same prefix form one cluster.",
  ),
  busStreamMaxAgeS: setting(
    'cluster',
    'BUS_STREAM_MAX_AGE_S',
    int(3600, 60, 30 * 86_400),
    'How long the JetStream stream keeps committed candles: the longest bus outage a read node resumes from without dropping its cache.',
  ),
  busMaxPendingCandles: setting(
    'cluster',
    'BUS_MAX_PENDING_CANDLES',
    int(1_000_000, 1000, 100_000_000),
    'Committed candles waiting to be published on the bus (NATS unreachable); past it they are dropped (metric + log) and read nodes are told to reload from the store.',
  ),
  clusterLeaseTtlS: setting(
    'cluster',
    'CLUSTER_LEASE_TTL_S',
    num(6, 1, 60),
    "How long an ingest node's lease on a series outlives its last renewal (renewed every fifth of it): a dead node's series move to another within about 1.2x this.",
  ),
} as const;

export type SettingName = keyof typeof SETTINGS;

type ValueOf<S> = S extends Setting<infer T> ? T : never;

/** The validated, frozen configuration every part of the gateway reads. */
export type Config = { readonly [K in SettingName]: ValueOf<(typeof SETTINGS)[K]> };
