import type { CommittedMessage, ReadResult } from '../../writer/contract.js';
import { SeriesTail } from './series-tail.js';

export interface TailCacheStats {
  series: number;
  hits: number;
  misses: number;
  loads: number;
  evictions: number;
}

/**
 * SeriesTails for the active series, least recently used dropped beyond `maxSeries`. A tail is
 * loaded from the store on first use; commits that land while it loads are applied afterwards if
 * newer than what the read saw (commit sequence numbers), so the cache never misses one.
 */
export class TailCache {
  private readonly tails = new Map<string, SeriesTail>();
  private readonly loading = new Map<string, { promise: Promise<SeriesTail>; commits: CommittedMessage[] }>();
  /** Bumped by clear(): a load that started before must not install its (stale) tail. */
  private epoch = 0;
  readonly stats: TailCacheStats = { series: 0, hits: 0, misses: 0, loads: 0, evictions: 0 };

  constructor(
    readonly capacity: number,
    private readonly maxSeries: number,
    private readonly loadTail: (seriesId: string, limit: number) => Promise<ReadResult>,
  ) {}

  get enabled(): boolean {
    return this.capacity > 0;
  }

  /** The cached tail if present (marks it recently used); never loads. */
  peek(seriesId: string): SeriesTail | undefined {
    const tail = this.tails.get(seriesId);
    if (tail) {
      this.tails.delete(seriesId);
      this.tails.set(seriesId, tail);
    }
    return tail;
  }

  /** The tail of `seriesId`, loading it if needed. */
  async get(seriesId: string): Promise<SeriesTail> {
    const cached = this.peek(seriesId);
    if (cached) return cached;
    const inFlight = this.loading.get(seriesId);
    if (inFlight) return inFlight.promise;
    const entry = { commits: [] as CommittedMessage[], promise: null as unknown as Promise<SeriesTail> };
    entry.promise = this.load(seriesId, entry.commits).finally(() => this.loading.delete(seriesId));
    this.loading.set(seriesId, entry);
    return entry.promise;
  }

  /** Forgets every tail (the writer was replaced: its commit sequence restarted). */
  clear(): void {
    this.epoch++;
    this.tails.clear();
    this.loading.clear();
    this.stats.series = 0;
  }

  /** Applies a commit to every cached (or loading) series it touches. */
  apply(msg: CommittedMessage): void {
    if (!this.enabled) return;
    for (const segment of msg.segments) {
      this.tails.get(segment.seriesId)?.apply(segment.data, segment.head, msg.commitSeq);
      this.loading.get(segment.seriesId)?.commits.push(msg);
    }
  }

  recordHit(): void {
    this.stats.hits++;
  }

  recordMiss(): void {
    this.stats.misses++;
  }

  private async load(seriesId: string, commitsDuringLoad: CommittedMessage[]): Promise<SeriesTail> {
    this.stats.loads++;
    const epoch = this.epoch;
    const read = await this.loadTail(seriesId, this.capacity);
    const tail = new SeriesTail(this.capacity, read.data, read.head, read.commitSeq);
    if (epoch !== this.epoch) return tail; // answer this read, but do not cache across a writer restart
    for (const msg of commitsDuringLoad) {
      for (const segment of msg.segments) if (segment.seriesId === seriesId) tail.apply(segment.data, segment.head, msg.commitSeq);
    }
    this.tails.set(seriesId, tail);
    while (this.tails.size > this.maxSeries) {
      this.tails.delete(this.tails.keys().next().value!);
      this.stats.evictions++;
    }
    this.stats.series = this.tails.size;
    return tail;
  }
}
