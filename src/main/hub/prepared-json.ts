import { candleCount } from '../../domain/candle.js';
import { candleObjectsJson, type CandleJsonFragment } from '../../protocol/candle-json.js';

/** Series whose prepared text is kept at once: tail coverage runs four at a time. */
const MAX_SERIES = 16;

/**
 * JSON text of candles made while they are being committed (issue 11, first open). Tail coverage
 * hands the candles it fetched for a waiting read to the writer and, while the writer commits
 * them, encodes them here on the otherwise idle main thread; the read that waited then assembles
 * its answer from this text instead of encoding 2,000 candles after the commit. Nothing is sent
 * before the commit: this only moves the encoding earlier.
 *
 * A fragment is used only where the read's candles equal, value for value, the ones it was made
 * from (candle-json.ts), so a write landing in between cannot make an answer wrong; it can only
 * make the text unused. Taken once, by the next read of the series; at most MAX_SERIES series are
 * held (the oldest is dropped), so text no read comes for cannot pile up.
 */
export class PreparedCandleJson {
  private readonly bySeries = new Map<string, CandleJsonFragment[]>();

  constructor(private readonly maxSeries = MAX_SERIES) {}

  /**
   * Encodes `candles` (packed, ascending) now, for the series' next read; `json` is their text
   * (ASCII bytes) when the ingest worker already wrote it from the exchange's digits
   * (candle-json-text.ts).
   */
  prepare(seriesId: string, candles: Float64Array, json?: Uint8Array): void {
    if (candles.length === 0) return;
    const fragment = { candles, bytes: json ?? Buffer.from(candleObjectsJson(candles, 0, candleCount(candles)), 'latin1') };
    const held = this.bySeries.get(seriesId);
    this.bySeries.delete(seriesId); // re-inserted last: the newest stays longest
    this.bySeries.set(seriesId, held ? [...held, fragment] : [fragment]);
    if (this.bySeries.size > this.maxSeries) this.bySeries.delete(this.bySeries.keys().next().value!);
  }

  /** The series' prepared text, removed; undefined when there is none. */
  take(seriesId: string): readonly CandleJsonFragment[] | undefined {
    if (this.bySeries.size === 0) return undefined; // the hot path: nothing prepared
    const held = this.bySeries.get(seriesId);
    if (held) this.bySeries.delete(seriesId);
    return held;
  }

  /** Series with prepared text (tests, stats). */
  get size(): number {
    return this.bySeries.size;
  }
}
