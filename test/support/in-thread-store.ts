import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ClosedBatchMessage, ReadResult, SeriesSummary } from '../../src/writer/contract.js';
import { acquireStoreOwnership, type StoreOwnership } from '../../src/main/store/store-ownership.js';
import { StoreClientBase, type MarketStore } from '../../src/main/store/market-store.js';
import type { WriterSettings, WriterStats } from '../../src/writer/contract.js';
import { WriterService } from '../../src/writer/writer-service.js';

/**
 * The writer running in the calling thread: same drain core, same messages, no worker. Used by
 * tests that need a store without threads and by CLI tools; the gateway uses WorkerStore.
 */
export class InThreadStore extends StoreClientBase implements MarketStore {
  private readonly service: WriterService;
  private readonly ownership: StoreOwnership;
  private closed = false;

  /** Takes the database's ownership (as the gateway does), then opens it in this thread. */
  static async open(settings: WriterSettings): Promise<InThreadStore> {
    const ownership = await acquireStoreOwnership(settings);
    try {
      let self: InThreadStore | null = null;
      // Deliver writer notices on a later tick, as a port would: callers never re-enter the core.
      const service = await WriterService.open(settings, (msg) => queueMicrotask(() => self?.handleWriterMessage(msg)));
      self = new InThreadStore(service, ownership);
      return self;
    } catch (err) {
      await ownership.release();
      throw err;
    }
  }

  private constructor(service: WriterService, ownership: StoreOwnership) {
    super();
    this.ownership = ownership;
    this.service = service;
    this.producer.attach({ postMessage: (msg: ClosedBatchMessage) => service.acceptMain(msg) });
  }

  async tail(seriesId: string, limit: number): Promise<ReadResult> {
    return this.service.tail(seriesId, limit);
  }

  async after(seriesId: string, since: number, limit: number): Promise<ReadResult> {
    return this.service.after(seriesId, since, limit);
  }

  async before(seriesId: string, before: number, limit: number): Promise<ReadResult> {
    return this.service.before(seriesId, before, limit);
  }

  async between(seriesId: string, from: number, to: number, limit: number): Promise<ReadResult> {
    return this.service.between(seriesId, from, to, limit);
  }

  async head(seriesId: string): Promise<number | null> {
    return this.service.head(seriesId);
  }

  async count(seriesId?: string, atMost?: number): Promise<number> {
    return this.service.count(seriesId, atMost);
  }

  async summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Promise<SeriesSummary> {
    return this.service.summary(seriesId, tfSeconds, maxRecentGaps);
  }

  async stats(): Promise<WriterStats> {
    return this.service.stats();
  }

  flush(): Promise<void> {
    return this.service.flush();
  }

  async connectProducer(name: string): Promise<MessagePort> {
    const { port1, port2 } = new MessageChannel();
    this.service.attachProducer(name, port2);
    return port1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closingWrites = true;
    try {
      await this.service.close();
    } finally {
      await this.ownership.release();
    }
  }
}
