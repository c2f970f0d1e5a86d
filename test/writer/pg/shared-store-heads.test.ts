import { afterEach, describe, expect, it } from 'vitest';
import type { ClosedBatchMessage } from '../../../src/writer/contract.js';
import { PgCandleStore } from '../../../src/writer/pg/pg-candle-store.js';
import { MAIN_SOURCE, WriterCore } from '../../../src/writer/writer-core.js';
import { packed } from '../../support/candles.js';
import { pgSettings, pgSkipReason, usePgCluster } from '../../support/pg-cluster.js';

const S = 'binance:spot:BTC/USDT:1m';
const skip = pgSkipReason();

function closed(seq: number, times: number[]): ClosedBatchMessage {
  return { t: 'closed', seq, series: [S], counts: [times.length], data: packed(times), publish: true };
}

/**
 * Two gateways' writers on one PostgreSQL database (a cluster): what one commits, the other's
 * `head()` and reads must report, even after the other has remembered an older head. Without
 * `sharedStore` the remembered head stays (one writer per database is that mode's premise); a
 * node taking a series over after a failover would start its job from it and never fill the hole.
 */
describe.skipIf(skip !== null)('series heads when several writers share a PostgreSQL database', () => {
  const cluster = usePgCluster();
  const stores: PgCandleStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  const writer = async (url: string, sharedStore: boolean) => {
    const store = await PgCandleStore.open(pgSettings(url));
    stores.push(store);
    return new WriterCore(store, { maxPendingCandles: 100_000, sharedStore, toMain: () => undefined, toProducer: () => undefined });
  };

  for (const shared of [true, false]) {
    it(`sharedStore ${shared}: the other writer's commits ${shared ? 'show' : 'do not show'} in head() and reads`, async () => {
      const url = await cluster().createDatabase();
      const [a, b] = [await writer(url, shared), await writer(url, shared)];
      b.accept(MAIN_SOURCE, closed(1, [60, 120]));
      await b.drain();
      expect(await a.head(S)).toBe(120); // a remembers 120 from here on
      b.accept(MAIN_SOURCE, closed(2, [180, 240]));
      await b.drain();
      expect(await a.head(S)).toBe(shared ? 240 : 120);
      expect((await a.tail(S, 10)).head).toBe(shared ? 240 : 120);
      // Its own commits still advance it, whatever the other did.
      a.accept(MAIN_SOURCE, closed(1, [300]));
      await a.drain();
      expect(await a.head(S)).toBe(300);
    });
  }
});

if (skip) it.skip(`series heads with several writers — skipped, needs PostgreSQL: ${skip}`);
