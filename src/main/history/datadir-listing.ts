import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidTimeframe } from '../../domain/timeframe.js';
import type { CandleFormat } from '../../domain/freqtrade-formats.js';
import { candidateFiles, FUTURES_DIR, parseCandleFileName, type ParsedCandleName } from '../../domain/freqtrade-names.js';

export interface ListedCandleFile {
  /** Series id the file feeds, e.g. `binance:futures:BTC/USDT:5m`. */
  readonly seriesId: string;
  readonly path: string;
  readonly format: CandleFormat;
}

export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

export interface DatadirListing {
  /** One file per series id: the one `findCandleFile` would pick for it. */
  readonly files: readonly ListedCandleFile[];
  /** Everything else found, with why it is not imported. */
  readonly skipped: readonly SkippedFile[];
}

/**
 * Lists the spot and USD-M futures candle files of the datadirs (in `resolveDatadir` order) and
 * maps each to our series id. Other candle types (mark, index, premiumindex, funding_rate),
 * trades, coin-margined futures and timeframes series ids cannot express are skipped with a
 * reason. Where several files feed one series (another format, a legacy name, a later dir), the
 * one `findCandleFile` prefers is listed and the others are skipped as shadowed, so an import
 * and a bootstrap read the same file. Missing or unreadable dirs list nothing.
 */
export async function listCandleFiles(searchDirs: readonly string[], exchange: string): Promise<DatadirListing> {
  const best = new Map<string, { file: ListedCandleFile; rank: number }>();
  const skipped: SkippedFile[] = [];

  for (const [dirIndex, dir] of searchDirs.entries()) {
    for (const inFuturesDir of [false, true]) {
      const folder = inFuturesDir ? join(dir, FUTURES_DIR) : dir;
      for (const fileName of await fileNames(folder)) {
        const path = join(folder, fileName);
        const parsed = parseCandleFileName(fileName, inFuturesDir);
        if (!parsed.ok) {
          skipped.push({ path, reason: parsed.reason });
          continue;
        }
        const mapped = toSeries(parsed.name, exchange);
        if ('reason' in mapped) {
          skipped.push({ path, reason: mapped.reason });
          continue;
        }
        const relPath = inFuturesDir ? `${FUTURES_DIR}/${fileName}` : fileName;
        const nameRank = candidateFiles(mapped).findIndex((c) => c.relPath === relPath);
        const rank = dirIndex * 1000 + nameRank;
        const file: ListedCandleFile = { seriesId: mapped.seriesId, path, format: parsed.name.format };
        const current = best.get(file.seriesId);
        if (!current || rank < current.rank) {
          if (current) skipped.push({ path: current.file.path, reason: `shadowed by ${path}` });
          best.set(file.seriesId, { file, rank });
        } else {
          skipped.push({ path, reason: `shadowed by ${current.file.path}` });
        }
      }
    }
  }
  const files = [...best.values()].map((b) => b.file).sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : 0));
  return { files, skipped };
}

type Mapped = { seriesId: string; market: 'spot' | 'futures'; symbol: string; timeframe: string } | { reason: string };

function toSeries(name: ParsedCandleName, exchange: string): Mapped {
  if (name.candleType !== 'spot' && name.candleType !== 'futures') {
    return { reason: `candle type ${name.candleType} is not served` };
  }
  if (!isValidTimeframe(name.timeframe)) return { reason: `timeframe ${name.timeframe} is not supported in series ids` };
  let symbol = name.pair;
  const colon = symbol.indexOf(':');
  if (colon >= 0) {
    // `BASE/QUOTE:SETTLE`: USD-M perpetuals settle in the quote currency; anything else is
    // coin-margined, which our `futures` market (USD-M) does not cover.
    const quote = symbol.slice(symbol.indexOf('/') + 1, colon);
    const settle = symbol.slice(colon + 1);
    if (settle !== quote) return { reason: `coin-margined pair ${symbol} is not a USD-M series` };
    symbol = symbol.slice(0, colon);
  }
  const market = name.candleType === 'spot' ? 'spot' : 'futures';
  return { seriesId: `${exchange}:${market}:${symbol}:${name.timeframe}`, market, symbol, timeframe: name.timeframe };
}

async function fileNames(folder: string): Promise<string[]> {
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    // Dotfiles (editor swap files, .DS_Store) are never freqtrade's and not worth a skip line.
    return entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}
