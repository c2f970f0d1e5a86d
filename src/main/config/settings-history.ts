import { bool, int, num, oneOf, str } from './setting-kinds.js';
import { setting } from './setting-spec.js';

/** History settings: freqtrade datadir. */
export const HISTORY_SETTINGS = {
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
} as const;
