import type { CandleStore } from './candle-store.js';

/**
 * The newest stored candle_time of each series the writer has seen: what a commit reports as the
 * series head and what reads carry. Loaded from the store once per series, then advanced by every
 * commit. A head loaded while a commit set it is dropped: this writer is the only one, so the
 * map, once set, follows every commit (a slower load may only know an older state).
 */
export class SeriesHeads {
  private readonly heads = new Map<string, number | null>();

  constructor(private readonly store: Pick<CandleStore, 'heads'>) {}

  has(seriesId: string): boolean {
    return this.heads.has(seriesId);
  }

  get(seriesId: string): number | null {
    return this.heads.get(seriesId) ?? null;
  }

  /** Loads the heads of series not known yet (one store call for all of them). */
  async load(seriesIds: readonly string[]): Promise<void> {
    const missing = seriesIds.filter((s) => !this.heads.has(s));
    if (missing.length === 0) return;
    const loaded = await this.store.heads(missing);
    for (const s of missing) if (!this.heads.has(s)) this.heads.set(s, loaded.get(s) ?? null);
  }

  /** After a commit that wrote up to `lastTime`: the series head, now. */
  advance(seriesId: string, lastTime: number): number {
    const head = Math.max(this.heads.get(seriesId) ?? -Infinity, lastTime);
    this.heads.set(seriesId, head);
    return head;
  }
}
