import { binanceSeriesOf } from '../../domain/binance-symbols.js';
import { candleCount } from '../../domain/candle.js';
import type { GapFiller } from '../hub/subscription.js';
import type { StoreGapFiller } from '../hub/store-gap-filler.js';
import type { BackfillResult } from '../../ingest/contract.js';
import { createLogger } from '../../shared/log.js';

const log = createLogger('supervisor.backfill');

/**
 * Longest a subscription waits for REST before it goes on with what the store has (and announces
 * the rest as `gap`). The subscription's live delivery is paused meanwhile (hub/subscription.ts).
 */
const BACKFILL_TIMEOUT_MS = 10_000;

/**
 * The hub's gap filler with live ingest on (ENABLE_MARKET_GAP_BACKFILL): a hole a subscriber is
 * about to see is read from the store first; what is missing there is fetched from Binance REST
 * by the series' ingest worker (on its share of the weight budget), committed through the
 * writer, and read again — so the store stays the single source of what clients get (invariant
 * 1). Concurrent requests for the same hole (many clients resuming at once) share one fetch.
 */
export class ExchangeGapFiller implements GapFiller {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly store: StoreGapFiller,
    private readonly readLimit: number,
    /** The ingest side's REST backfill; null until the supervisor runs. */
    private readonly backfill: () => ((seriesId: string, from: number, to: number) => Promise<BackfillResult>) | null,
  ) {}

  async fill(seriesId: string, expectedNext: number, actual: number): Promise<Float64Array> {
    const have = await this.store.fill(seriesId, expectedNext, actual);
    let tf: number;
    try {
      tf = binanceSeriesOf(seriesId).tfSeconds;
    } catch {
      return have; // not a Binance series: the store is all there is
    }
    const wanted = Math.min(this.readLimit, Math.ceil((actual - expectedNext) / tf));
    const backfill = this.backfill();
    if (candleCount(have) >= wanted || backfill === null) return have;
    const to = Math.min(actual - tf, expectedNext + (wanted - 1) * tf);
    await this.fetchOnce(seriesId, expectedNext, to, backfill);
    return this.store.fill(seriesId, expectedNext, actual);
  }

  private fetchOnce(seriesId: string, from: number, to: number, backfill: (s: string, f: number, t: number) => Promise<BackfillResult>): Promise<void> {
    const key = `${seriesId}|${from}|${to}`;
    let pending = this.inFlight.get(key);
    if (pending) return pending;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>(
      (resolve) =>
        (timer = setTimeout(() => {
          log.warn('gap backfill from REST is slow; going on with what the store has', { seriesId, from, to, timeoutMs: BACKFILL_TIMEOUT_MS });
          resolve();
        }, BACKFILL_TIMEOUT_MS)),
    );
    const fetched = backfill(seriesId, from, to).then(
      (r) => {
        if (r.ok) log.info('gap backfilled from REST', { seriesId, from, to, candles: r.candles });
        else log.warn('gap backfill from REST stopped short; subscribers get a gap', { seriesId, from, to, candles: r.candles, error: r.error?.message });
      },
      (err) => log.warn('gap backfill from REST failed; subscribers get a gap', { seriesId, from, to, error: err }),
    );
    pending = Promise.race([fetched, timeout]).finally(() => {
      clearTimeout(timer);
      this.inFlight.delete(key);
    });
    this.inFlight.set(key, pending);
    return pending;
  }
}
