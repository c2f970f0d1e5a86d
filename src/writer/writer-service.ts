import type { MessagePort } from 'node:worker_threads';
import type { CandleStore } from './candle-store.js';
import type { ClosedBatchMessage, MainInbound, ReadResult, SeriesSummary, WriterApi, WriterSettings, WriterStats } from './contract.js';
import { openCandleStore } from './open-store.js';
import { MAIN_SOURCE, WriterCore } from './writer-core.js';
import { threadCpuSeconds } from '../shared/thread-cpu.js';

/**
 * Everything the writer thread runs: the store's connection(s), the drain core, and the producer
 * ports (ingest workers, import pool). The main thread's own batches arrive via `acceptMain`.
 */
export class WriterService implements WriterApi {
  readonly core: WriterCore;
  private readonly producers = new Map<string, MessagePort>();

  /** Opens the store the settings name (SQLite file, or PostgreSQL), then the service over it. */
  static async open(settings: WriterSettings, toMain: (msg: MainInbound, transfer: ArrayBuffer[]) => void): Promise<WriterService> {
    return new WriterService(await openCandleStore(settings), settings, toMain);
  }

  constructor(
    readonly store: CandleStore,
    settings: Pick<WriterSettings, 'maxPendingCandles' | 'sharedStore'>,
    toMain: (msg: MainInbound, transfer: ArrayBuffer[]) => void,
  ) {
    this.core = new WriterCore(store, {
      maxPendingCandles: settings.maxPendingCandles,
      sharedStore: settings.sharedStore,
      toMain: (msg) => toMain(msg, msg.t === 'committed' ? uniqueBuffers(msg.segments.map((s) => s.data)) : []),
      toProducer: (source, ack) => (source === MAIN_SOURCE ? toMain(ack, []) : this.producers.get(source)?.postMessage(ack)),
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

  tail(seriesId: string, limit: number): Promise<ReadResult> {
    return this.core.tail(seriesId, limit);
  }

  after(seriesId: string, since: number, limit: number): Promise<ReadResult> {
    return this.core.after(seriesId, since, limit);
  }

  before(seriesId: string, before: number, limit: number): Promise<ReadResult> {
    return this.core.before(seriesId, before, limit);
  }

  between(seriesId: string, from: number, to: number, limit: number): Promise<ReadResult> {
    return this.core.between(seriesId, from, to, limit);
  }

  head(seriesId: string): Promise<number | null> {
    return this.core.head(seriesId);
  }

  async count(seriesId?: string, atMost?: number): Promise<number> {
    return this.core.count(seriesId, atMost);
  }

  async summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Promise<SeriesSummary> {
    return this.store.summary(seriesId, tfSeconds, maxRecentGaps);
  }

  stats(): WriterStats {
    return { ...this.core.getStats(), threadCpuSeconds: threadCpuSeconds() };
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
