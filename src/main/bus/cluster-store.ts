import type { MessagePort } from 'node:worker_threads';
import { createLogger } from '../../shared/log.js';
import type { CommittedMessage, ReadResult, SeriesSummary, WriterStats } from '../../writer/contract.js';
import type { MarketStore, SeriesCandles, WriteOptions } from '../store/market-store.js';
import type { WorkerStore } from '../store/worker-store.js';
import type { ClusterBus } from './cluster-bus.js';

const log = createLogger('bus.store');

/** Longest a write waits for the bus after its commit (NATS away): the candle is stored either way. */
const BUS_WRITE_WAIT_MS = 5000;

/**
 * The store as a node of a cluster uses it: the same writer (this node's, into the shared
 * PostgreSQL), but a write resolves only once its commit is on the stream AND this node's feed has
 * applied it — so `POST candle_closed` answers after commit + publish (contract §2), and a read on
 * the same node right after sees the candle, exactly as on a single node. Everything else is the
 * writer's.
 */
export class ClusterStore implements MarketStore {
  constructor(
    private readonly inner: WorkerStore,
    private readonly cluster: Pick<ClusterBus, 'publisher' | 'feed'>,
  ) {}

  async write(candles: readonly SeriesCandles[], options: WriteOptions): Promise<void> {
    await this.inner.write(candles, options);
    const seq = await this.cluster.publisher.whenPublished(BUS_WRITE_WAIT_MS);
    if (seq === null) {
      log.warn('write committed; the bus has not taken it yet (it will be published when NATS is back)', { waitedMs: BUS_WRITE_WAIT_MS });
      return;
    }
    if (!(await this.cluster.feed.waitApplied(seq, BUS_WRITE_WAIT_MS))) {
      log.warn('write committed and published; this node has not applied it yet', { seq, waitedMs: BUS_WRITE_WAIT_MS });
    }
  }

  tail(seriesId: string, limit: number): Promise<ReadResult> {
    return this.inner.tail(seriesId, limit);
  }

  after(seriesId: string, since: number, limit: number): Promise<ReadResult> {
    return this.inner.after(seriesId, since, limit);
  }

  before(seriesId: string, before: number, limit: number): Promise<ReadResult> {
    return this.inner.before(seriesId, before, limit);
  }

  between(seriesId: string, from: number, to: number, limit: number): Promise<ReadResult> {
    return this.inner.between(seriesId, from, to, limit);
  }

  head(seriesId: string): Promise<number | null> {
    return this.inner.head(seriesId);
  }

  count(seriesId?: string, atMost?: number): Promise<number> {
    return this.inner.count(seriesId, atMost);
  }

  summary(seriesId: string, tfSeconds: number, maxRecentGaps: number): Promise<SeriesSummary> {
    return this.inner.summary(seriesId, tfSeconds, maxRecentGaps);
  }

  stats(): Promise<WriterStats> {
    return this.inner.stats();
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  onCommitted(listener: (msg: CommittedMessage) => void): void {
    this.inner.onCommitted(listener);
  }

  connectProducer(name: string): Promise<MessagePort> {
    return this.inner.connectProducer(name);
  }

  onRestart(listener: () => void): void {
    this.inner.onRestart(listener);
  }

  get inFlightCandles(): number {
    return this.inner.inFlightCandles;
  }
}
