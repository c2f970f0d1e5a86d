import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config/settings.js';
import { describeError } from '../../shared/errors.js';
import type { CandleFormat } from '../../domain/freqtrade-formats.js';
import { candidateFiles, type SeriesNameParts } from '../../domain/freqtrade-names.js';
import { parseLenientJson } from './lenient-json.js';

/** The settings the datadir comes from (a `Config` fits). */
export type DatadirSettings = Pick<Config, 'freqtradeDatadir' | 'freqtradeConfig' | 'freqtradeUserdir'>;

export interface DatadirResolution {
  /** Directories to search, in order; empty when no setting names a datadir. */
  readonly searchDirs: readonly string[];
  /** Which setting gave the datadir. */
  readonly source: 'datadir' | 'config' | 'userdir' | 'none';
  /** Things an operator should read in the log (an unreadable config, a config without datadir). */
  readonly notes: readonly string[];
}

/**
 * Where freqtrade candles are, from the settings, first match wins:
 *   1. FREQTRADE_DATADIR;
 *   2. the `datadir` key of the JSON at FREQTRADE_CONFIG;
 *   3. `<FREQTRADE_USERDIR>/data`.
 * Each datadir is searched as-is and with `/<exchange>` appended: freqtrade's default datadir is
 * `user_data/data/<exchange>`, and operators point at either level. As-is comes first because a
 * configured path is what the operator meant. Never throws: a bad config file becomes a note
 * and the next fallback is used.
 */
export function resolveDatadir(settings: DatadirSettings, exchange: string, cwd = process.cwd()): DatadirResolution {
  const notes: string[] = [];
  const withExchange = (dirs: string[]): string[] => unique(dirs.flatMap((dir) => [dir, join(dir, exchange)]));

  if (settings.freqtradeDatadir.trim() !== '') {
    return { searchDirs: withExchange([resolve(cwd, settings.freqtradeDatadir.trim())]), source: 'datadir', notes };
  }
  const configPath = settings.freqtradeConfig.trim();
  if (configPath !== '') {
    const fromConfig = datadirFromConfig(resolve(cwd, configPath), cwd);
    if (fromConfig.dirs) return { searchDirs: withExchange(fromConfig.dirs), source: 'config', notes };
    notes.push(fromConfig.note);
  }
  if (settings.freqtradeUserdir.trim() !== '') {
    return { searchDirs: withExchange([join(resolve(cwd, settings.freqtradeUserdir.trim()), 'data')]), source: 'userdir', notes };
  }
  return { searchDirs: [], source: 'none', notes };
}

/**
 * The `datadir` of a freqtrade config. freqtrade resolves a relative datadir against its own
 * working directory, which we cannot know; the config's folder is the usual one (configs sit at
 * the freqtrade project root), so it is tried first and our working directory second.
 */
function datadirFromConfig(configPath: string, cwd: string): { dirs: string[]; note?: never } | { dirs?: never; note: string } {
  let parsed: unknown;
  try {
    parsed = parseLenientJson(readFileSync(configPath, 'utf8'));
  } catch (err) {
    return { note: `freqtrade config ${configPath} unreadable (${describeError(err)}); trying the next datadir fallback` };
  }
  const datadir = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).datadir : undefined;
  if (typeof datadir !== 'string' || datadir.trim() === '') {
    return { note: `freqtrade config ${configPath} has no "datadir"; trying the next datadir fallback` };
  }
  const dir = datadir.trim();
  if (isAbsolute(dir)) return { dirs: [dir] };
  return { dirs: unique([resolve(dirname(configPath), dir), resolve(cwd, dir)]) };
}

export interface FoundCandleFile {
  readonly path: string;
  readonly format: CandleFormat;
  readonly sizeBytes: number;
}

/**
 * The first existing candle file for a series, trying each search dir, then each name variant
 * and format in `candidateFiles` order. Undefined when none exists (or the market has no
 * freqtrade candles). Never throws: unreadable locations count as absent.
 */
export async function findCandleFile(searchDirs: readonly string[], series: SeriesNameParts): Promise<FoundCandleFile | undefined> {
  const candidates = candidateFiles(series);
  for (const dir of searchDirs) {
    for (const candidate of candidates) {
      const path = join(dir, candidate.relPath);
      try {
        const info = await stat(path);
        if (info.isFile()) return { path, format: candidate.format, sizeBytes: info.size };
      } catch {
        // ENOENT is the common case; EACCES and friends are equally "not usable here".
      }
    }
  }
  return undefined;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
