import { spawn, type ChildProcess } from 'node:child_process';
import type { SeriesId } from '../../domain/series-id.js';
import { createLogger } from '../../shared/log.js';

export interface DownloadSettings {
  /** `FREQTRADE_DOWNLOAD_COMMAND`; empty = `DEFAULT_DOWNLOAD_COMMAND` run with `bin`. */
  readonly command: string;
  /** `FREQTRADE_BIN`: the executable of the default command. */
  readonly bin: string;
  readonly cooldownS: number;
  /** Where freqtrade writes (`--datadir`): the configured datadir. */
  readonly datadir: string;
  readonly timeoutMs?: number;
}

export type DownloadOutcome = 'downloaded' | 'failed' | 'cooldown' | 'not_installed' | 'unsupported';

/**
 * freqtrade's own command (freqtrade docs, "Data downloading"). Words are split on spaces and run
 * without a shell; a placeholder's value stays one argument even if it holds spaces, and
 * `{trading_mode_args}` as a word of its own becomes `--trading-mode futures` or nothing.
 */
export const DEFAULT_DOWNLOAD_COMMAND =
  '{bin} download-data --exchange {exchange} --pairs {pair} --timeframes {timeframe} {trading_mode_args} --datadir {datadir}';

/** A download of one pair and timeframe takes seconds to minutes; past this it is stuck. */
const DOWNLOAD_TIMEOUT_MS = 15 * 60_000;
/** Output kept for the failure log line. */
const OUTPUT_TAIL_CHARS = 2000;

const log = createLogger('history.download');

/**
 * Runs `freqtrade download-data` for a series that has no candle file (optional, off by default).
 * At most one run per pair and timeframe at a time (concurrent callers share it), and none within
 * the cooldown after the previous start. freqtrade is a Python program that may not be installed:
 * then this logs once and answers `not_installed`, and the caller carries on without a file.
 */
export class DownloadTrigger {
  private readonly running = new Map<string, Promise<DownloadOutcome>>();
  private readonly lastStart = new Map<string, number>();
  private readonly children = new Set<ChildProcess>();
  private notInstalledLogged = false;
  private closed = false;

  constructor(
    private readonly settings: DownloadSettings,
    private readonly now: () => number = Date.now,
  ) {}

  download(series: SeriesId): Promise<DownloadOutcome> {
    if (this.closed) return Promise.resolve('failed');
    if (series.market !== 'spot' && series.market !== 'futures') return Promise.resolve('unsupported');
    const pair = freqtradePair(series);
    const key = `${series.exchange} ${pair} ${series.timeframe}`;
    const running = this.running.get(key);
    if (running) return running;
    const last = this.lastStart.get(key);
    if (last !== undefined && this.now() - last < this.settings.cooldownS * 1000) {
      log.debug('download skipped: cooldown', { pair, timeframe: series.timeframe, cooldown_s: this.settings.cooldownS });
      return Promise.resolve('cooldown');
    }
    this.lastStart.set(key, this.now());
    const argv = downloadCommand(this.settings, series.exchange, pair, series.timeframe, series.market === 'futures');
    const run = this.run(argv, pair, series.timeframe).finally(() => this.running.delete(key));
    this.running.set(key, run);
    return run;
  }

  /** Stops running downloads (graceful stop); later calls answer `failed`. */
  close(): void {
    this.closed = true;
    for (const child of this.children) child.kill('SIGTERM');
  }

  private run(argv: string[], pair: string, timeframe: string): Promise<DownloadOutcome> {
    const started = this.now();
    log.info('running freqtrade download-data', { pair, timeframe, command: argv.join(' ') });
    return new Promise((resolve) => {
      let output = '';
      const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS));
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.add(child);
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const timer = setTimeout(() => {
        log.warn('freqtrade download timed out; stopping it', { pair, timeframe, timeout_ms: this.settings.timeoutMs ?? DOWNLOAD_TIMEOUT_MS });
        child.kill('SIGTERM');
      }, this.settings.timeoutMs ?? DOWNLOAD_TIMEOUT_MS);
      timer.unref();
      const done = (outcome: DownloadOutcome) => {
        clearTimeout(timer);
        this.children.delete(child);
        resolve(outcome);
      };
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') {
          if (!this.notInstalledLogged) {
            this.notInstalledLogged = true;
            log.warn('freqtrade is not installed; series without a candle file start without history', { executable: argv[0] });
          }
          done('not_installed');
        } else {
          log.warn('freqtrade download could not start', { pair, timeframe, error: err });
          done('failed');
        }
      });
      child.once('close', (code, signal) => {
        if (!this.children.has(child)) return; // already settled by 'error'
        if (code === 0) {
          log.info('freqtrade download finished', { pair, timeframe, ms: this.now() - started });
          done('downloaded');
        } else {
          log.warn('freqtrade download failed', { pair, timeframe, exit_code: code, signal, output: output.trim() });
          done('failed');
        }
      });
    });
  }
}

/** freqtrade's pair name: `BTC/USDT` for spot, `BTC/USDT:USDT` for a USD-M perpetual. */
export function freqtradePair(series: Pick<SeriesId, 'market' | 'symbol'>): string {
  if (series.market !== 'futures' || series.symbol.includes(':')) return series.symbol;
  return `${series.symbol}:${series.symbol.slice(series.symbol.indexOf('/') + 1)}`;
}

/** The argv to run: the template split into words, placeholders substituted (no shell involved). */
export function downloadCommand(
  settings: Pick<DownloadSettings, 'command' | 'bin' | 'datadir'>,
  exchange: string,
  pair: string,
  timeframe: string,
  futures: boolean,
): string[] {
  const template = settings.command.trim() === '' ? DEFAULT_DOWNLOAD_COMMAND : settings.command;
  const values: Record<string, string> = { bin: settings.bin, exchange, pair, timeframe, datadir: settings.datadir };
  return template
    .trim()
    .split(/\s+/)
    .flatMap((word) => {
      if (word === '{trading_mode_args}') return futures ? ['--trading-mode', 'futures'] : [];
      return [word.replace(/\{(bin|exchange|pair|timeframe|datadir)\}/g, (_, name: string) => values[name]!)];
    });
}
