import type { MessagePort } from 'node:worker_threads';
import type { ClosedBatchMessage, MainInbound, ReadResult, SeriesSummary, WriterApi, WriterSettings, WriterStats } from './contract.js';
import { SqliteCandleStore } from './sqlite-candle-store.js';
import { explainStorageError } from './storage-diagnosis.js';
import { MAIN_SOURCE, WriterCore } from './writer-core.js';

/**
 * Everything the writer thread runs: the one SQLite connection, the drain core, and the producer
 * ports (ingest workers, import pool). The main thread's own batches arrive via `acceptMain`.
 */
export class WriterService implements WriterApi {
  private readonly store: SqliteCandleStore;
  readonly core: WriterCore;
  private readonly producers = new Map<string, MessagePort>();

  constructor(settings: WriterSettings, toMain: (msg: MainInbound, transfer: ArrayBuffer[]) => void) {
    this.store = new SqliteCandleStore(settings.dbPath, { synchronous: settings.synchronous, rowsPerStatement: settings.rowsPerStatement });
    this.core = new WriterCore(this.store, {
      maxPendingCandles: settings.maxPendingCandles,
      toMain: (msg) => toMain(msg, msg.t === 'committed' ? uniqueBuffers(msg.segments.map((s) => s.data)) : []),
      toProducer: (source, ack) => (source === MAIN_SOURCE ? toMain(ack, []) : this.producers.get(source)?.postMessage(ack)),
      explain: (err) => explainStorageError(settings.dbPath, err),
    });
  }

  acceptMain(msg: ClosedBatchMessage): void {
    this.core.accept(MAIN_SOURCE, msg);
  }

  attachProducer(name: string, port: MessagePort): void {
    this.detachProducer(name);
    port.on('message', (msg: ClosedBatchMessage) => this.core.accept(name, msg));
    // Short-lived producers (one per imported file) just close their end; forget them then. Their
    // batches already accepted stay queued and are committed as usual.
    port.once('close', () => {
      if (this.producers.get(name) === port) this.producers.delete(name);
    });
    this.producers.set(name, port);
  }

  detachProducer(name: string): void {
    const port = this.producers.get(name);
    if (!port) return;
    this.producers.delete(name);
    port.close();
  }

  tail(seriesId: string, limit: number): ReadResult {
    return this.core.tail(seriesId, limit);
  }

  after(seriesId: string, since: number, limit: number): ReadResult {
    return this.core.after(seriesId, since, limit);
  }

  between(seriesId: string, from: number, to: number, limit: number): ReadResult {
    return this.core.between(seriesId, from, to, limit);
  }

  head(seriesId: string): number | null {
    return this.core.head(seriesId);
  }

  count(seriesId?: string, atMost?: number): number {
    return this.core.count(seriesId, atMost);
  }

  summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): SeriesSummary {
    return this.store.summary(seriesId, tfSeconds, maxRecentGaps);
  }

  stats(): WriterStats {
    return this.core.getStats();
  }

  flush(): Promise<void> {
    return this.core.flush();
  }

  async close(): Promise<void> {
    // Producers' ports stay open until their last batches are in: drain them first.
    await new Promise((r) => setImmediate(r));
    await this.core.close();
    for (const name of [...this.producers.keys()]) this.detachProducer(name);
  }
}

/** A transfer list may not name the same buffer twice (published and all can share one). */
export function uniqueBuffers(arrays: readonly Float64Array[]): ArrayBuffer[] {
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}
