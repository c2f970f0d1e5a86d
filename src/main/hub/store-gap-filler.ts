import { CANDLE_STRIDE } from '../../domain/candle.js';
import type { CandleReader } from './candle-reader.js';
import type { GapFiller } from './subscription.js';

/**
 * Fills a hole from what the store already has (candles written without publish, imports). The
 * exchange-backed filler (REST gap fill) wraps this one: fetch, write, then read here.
 */
export class StoreGapFiller implements GapFiller {
  constructor(
    private readonly reader: CandleReader,
    private readonly readLimit: number,
  ) {}

  async fill(seriesId: string, expectedNext: number, actual: number): Promise<Float64Array> {
    const read = await this.reader.between(seriesId, expectedNext, actual - 1, this.readLimit);
    return read.data.slice(read.from * CANDLE_STRIDE, read.to * CANDLE_STRIDE);
  }
}
