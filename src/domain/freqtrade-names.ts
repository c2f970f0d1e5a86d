import { CANDLE_FORMATS, type CandleFormat } from './freqtrade-formats.js';

/**
 * freqtrade's candle file naming (freqtrade/data/history/datahandlers/idatahandler.py,
 * freqtrade/misc.py `pair_to_filename`), both ways:
 *
 *   spot     <datadir>/<PAIR>-<tf>.<ext>                      BTC_USDT-1m.feather
 *   futures  <datadir>/futures/<PAIR>-<tf>-<candletype>.<ext>  futures/BTC_USDT_USDT-5m-futures.feather
 *
 * <PAIR> is the pair with each of `/ space . @ $ + :` replaced by `_`; month `1M` is written `1Mo`
 * so that case-insensitive file systems keep it apart from `1m`.
 */

/** Markets of our series ids that map to a freqtrade trading mode. */
export type FreqtradeMarket = 'spot' | 'futures';

/** freqtrade candle types; only `spot` and `futures` are candles this gateway serves. */
export const CANDLE_TYPES = ['futures', 'mark', 'index', 'premiumindex', 'funding_rate'] as const;
export type CandleType = 'spot' | (typeof CANDLE_TYPES)[number];

/** Sub-folder of the datadir that holds every non-spot candle type. */
export const FUTURES_DIR = 'futures';

/** The part of a series id the file name depends on (a parsed `SeriesId` fits). */
export interface SeriesNameParts {
  readonly market: string;
  readonly symbol: string;
  readonly timeframe: string;
}

const PAIR_UNSAFE_CHARS = /[/ .@$+:]/g;

export function pairToFilename(pair: string): string {
  return pair.replace(PAIR_UNSAFE_CHARS, '_');
}

const MONTH_TF = /^(\d+)M$/;
const MONTH_TF_FILE = /^(\d+)Mo$/;

export function timeframeToFilename(timeframe: string): string {
  return timeframe.replace(MONTH_TF, '$1Mo');
}

export function timeframeFromFilename(timeframe: string): string {
  return timeframe.replace(MONTH_TF_FILE, '$1M');
}

/**
 * Timeframe spellings a file may use, preferred first: `1Mo` as freqtrade writes it, then `1M`,
 * which older freqtrade versions wrote and which freqtrade still accepts on read.
 */
function timeframeSpellings(timeframe: string): string[] {
  const file = timeframeToFilename(timeframe);
  return file === timeframe ? [timeframe] : [file, timeframe];
}

/**
 * freqtrade pair names for a futures series, preferred first. Our USD-M series ids carry the
 * plain symbol (`BTC/USDT`) while freqtrade names the perpetual `BTC/USDT:USDT` (settled in the
 * quote currency); older freqtrade datadirs used the bare `BTC/USDT` name, so it comes second.
 * A symbol that already names its settle currency is used as-is.
 */
function futuresPairs(symbol: string): string[] {
  if (symbol.includes(':')) return [symbol];
  const slash = symbol.indexOf('/');
  if (slash <= 0 || slash === symbol.length - 1) return [symbol];
  return [`${symbol}:${symbol.slice(slash + 1)}`, symbol];
}

/** Relative paths without extension that may hold the series, preferred first. */
export function candidateStems(series: SeriesNameParts): string[] {
  const stems: string[] = [];
  if (series.market === 'spot') {
    for (const tf of timeframeSpellings(series.timeframe)) stems.push(`${pairToFilename(series.symbol)}-${tf}`);
  } else if (series.market === 'futures') {
    for (const pair of futuresPairs(series.symbol)) {
      for (const tf of timeframeSpellings(series.timeframe)) {
        stems.push(`${FUTURES_DIR}/${pairToFilename(pair)}-${tf}-futures`);
      }
    }
  }
  return stems;
}

export interface CandidateFile {
  /** Path relative to a datadir, with `/` separators. */
  readonly relPath: string;
  readonly format: CandleFormat;
}

/**
 * Every file that may hold the series, in search order: name variants first (the current
 * freqtrade name beats a legacy one whatever its format), then formats in `CANDLE_FORMATS` order.
 * Empty for markets freqtrade has no candles for.
 */
export function candidateFiles(series: SeriesNameParts): CandidateFile[] {
  return candidateStems(series).flatMap((stem) => CANDLE_FORMATS.map((format) => ({ relPath: `${stem}.${format}`, format })));
}

/** What a candle file's name says about its content. */
export interface ParsedCandleName {
  /** Pair as freqtrade spells it: `BTC/USDT`, or `BTC/USDT:USDT` for a settled futures name. */
  readonly pair: string;
  /** Timeframe in series-id spelling (`1Mo` becomes `1M`). */
  readonly timeframe: string;
  readonly candleType: CandleType;
  readonly format: CandleFormat;
}

export type NameParse = { ok: true; name: ParsedCandleName } | { ok: false; reason: string };

const CANDLE_NAME = /^(.+)-(\d+(?:Mo|[smhdwyM]))(?:-([a-z_]+))?\.(feather|parquet|json\.gz|json)$/;
const TRADES_NAME = /^.+-trades(?:-[a-z_]+)?\.(?:feather|parquet|json\.gz|json|h5)$/;

/**
 * Reads a file name found in a datadir (`inFuturesDir`: whether it sits in `futures/`). Anything
 * that is not a spot or futures candle file of a plain pair gets a one-line reason, so a listing
 * can say why it skipped a file.
 */
export function parseCandleFileName(fileName: string, inFuturesDir: boolean): NameParse {
  if (TRADES_NAME.test(fileName)) return { ok: false, reason: 'trades file, not candles' };
  const m = CANDLE_NAME.exec(fileName);
  if (!m) return { ok: false, reason: 'not a freqtrade candle file name' };
  const [, stem, tf, typeSuffix, ext] = m as unknown as [string, string, string, string | undefined, CandleFormat];
  const candleType = (typeSuffix ?? 'spot') as CandleType;
  if (candleType !== 'spot' && !(CANDLE_TYPES as readonly string[]).includes(candleType)) {
    return { ok: false, reason: `unknown candle type '${typeSuffix}'` };
  }
  if (inFuturesDir !== (candleType !== 'spot')) {
    return { ok: false, reason: inFuturesDir ? 'spot-named file inside futures/' : `${candleType} file outside futures/` };
  }
  const parts = stem.split('_');
  // Pair names are not reversible in general (`_` stands for seven characters); Binance pairs
  // are BASE_QUOTE for spot and BASE_QUOTE_SETTLE (or legacy BASE_QUOTE) for futures.
  let pair: string | undefined;
  if (parts.length === 2 && parts.every(Boolean)) pair = `${parts[0]}/${parts[1]}`;
  else if (parts.length === 3 && candleType !== 'spot' && parts.every(Boolean)) pair = `${parts[0]}/${parts[1]}:${parts[2]}`;
  if (!pair) return { ok: false, reason: `cannot read pair from '${stem}'` };
  return { ok: true, name: { pair, timeframe: timeframeFromFilename(tf), candleType, format: ext } };
}
