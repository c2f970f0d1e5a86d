import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { parseSeriesId } from '../../domain/series-id.js';
import { describeError, toWire } from '../../shared/errors.js';
import type { MarketStore } from '../store/market-store.js';
import type { CandleFormat } from '../../domain/freqtrade-formats.js';
import { failedImport, type ImportFileResult, type ImportProgress, type ImportRunner } from '../../decode/contract.js';

export interface ImportFileOptions {
  /** Latest candles to import; 0 or absent = whole file. */
  readonly tail?: number;
  /** Default false: history is committed without `candle_closed` frames. */
  readonly publish?: boolean;
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportSource {
  readonly seriesId: string;
  readonly path: string;
  readonly format?: CandleFormat;
}

/**
 * Main-thread side of an import: opens a producer port on the writer for each file and hands it,
 * with the file, to the runner (the decode pool in production), so candles go from the decode
 * thread straight to the writer and never through the main thread. Used by the bootstrap and by
 * the `import` command.
 */
export class HistoryImporter {
  private producers = 0;

  constructor(
    private readonly store: MarketStore,
    private readonly runner: ImportRunner,
    private readonly tuning: { readonly chunkRows?: number; readonly maxInFlight?: number } = {},
  ) {}

  /**
   * Imports one file. Resolves after its candles are committed and the main thread has applied
   * those commits (tail cache, hub), so a read issued afterwards sees them. Never rejects.
   */
  async importFile(source: ImportSource, options: ImportFileOptions = {}): Promise<ImportFileResult> {
    const started = performance.now();
    let port: MessagePort;
    let tfSeconds: number;
    try {
      tfSeconds = parseSeriesId(source.seriesId).tfSeconds;
      // A fresh name per file: the writer keys producers by name and detaches one when its port closes.
      port = await this.store.connectProducer(`history-${++this.producers}`);
    } catch (err) {
      return failedBeforeStart(source, err, performance.now() - started);
    }
    // Progress also tells how much a task that died part-way had committed.
    const channel = new MessageChannel();
    const progress = channel.port2;
    const progressEnd = channel.port1;
    let lastWritten = 0;
    progressEnd.on('message', (p: ImportProgress) => {
      lastWritten = p.rowsWritten;
      options.onProgress?.(p);
    });
    progressEnd.unref(); // never keeps a process alive on its own
    try {
      const result = await this.runner.importFile({
        kind: 'import',
        seriesId: source.seriesId,
        path: source.path,
        format: source.format,
        tfSeconds,
        tail: options.tail ?? 0,
        publish: options.publish ?? false,
        chunkRows: this.tuning.chunkRows,
        maxInFlight: this.tuning.maxInFlight,
        port,
        progress,
      });
      // Acks reach the import thread on its own port; `committed` notices reach this thread on the
      // writer's. A flush answered on the writer's port comes after every notice it sent before,
      // so once it resolves the tail cache and hub have seen this import's commits.
      await this.store.flush().catch(() => undefined);
      // Progress notices travel on their own port and may trail the result: stop listening and
      // report the final state last, so a progress display never ends on a stale figure.
      progressEnd.close();
      const final = { ...result, rowsWritten: Math.max(result.rowsWritten, lastWritten), ms: performance.now() - started };
      options.onProgress?.({ rowsRead: final.rowsRead, rowsWritten: final.rowsWritten, fraction: 1 });
      return final;
    } finally {
      // Closing a port that was transferred away is a no-op; one that never left is released here.
      port.close();
      progress.close();
      progressEnd.close();
    }
  }
}

function failedBeforeStart(source: ImportSource, err: unknown, ms: number): ImportFileResult {
  return failedImport(source.seriesId, source.path, { code: toWire(err).code, message: `${source.path}: ${describeError(err)}` }, ms);
}
