import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { candleAt, CANDLE_STRIDE } from '../../../src/domain/candle.js';
import type { CommittedMessage } from '../../../src/writer/contract.js';
import type { MarketStore } from '../../../src/main/store/market-store.js';
import type { WriterSettings } from '../../../src/writer/contract.js';
import { candle, packed, timesOf } from '../../support/candles.js';
import { useTempDir } from '../../support/temp-dir.js';

type StoreFactory = (settings: WriterSettings) => Promise<MarketStore>;

const S = 'binance:futures:BTC/USDT:1m';
const E = 'binance:spot:ETH/USDT:1m';

/**
 * One behaviour suite for every MarketStore implementation (issue 2 "done when": the in-thread
 * store and the worker-backed store pass one shared contract test suite).
 */
export function marketStoreContract(name: string, open: StoreFactory): void {
  describe(`MarketStore contract: ${name}`, () => {
    const tempDir = useTempDir();
    const stores: MarketStore[] = [];
    const settingsIn = (dir: string, overrides: Partial<WriterSettings> = {}): WriterSettings => ({
      dbPath: join(dir, 'market.db'),
      synchronous: 'FULL',
      rowsPerStatement: 100,
      maxPendingCandles: 1_000_000,
      ...overrides,
    });
    const openStore = async (overrides: Partial<WriterSettings> = {}, dir = tempDir()) => {
      const store = await open(settingsIn(dir, overrides));
      stores.push(store);
      return store;
    };
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close().catch(() => undefined);
    });

    it('reads back what was written: tail, after, before, between, head, count', async () => {
      const store = await openStore();
      await store.write([{ seriesId: S, data: packed([100, 160, 220]) }], { publish: true });
      expect(timesOf((await store.tail(S, 2)).data)).toEqual([160, 220]);
      expect((await store.tail(S, 2)).head).toBe(220);
      expect(timesOf((await store.after(S, 160, 10)).data)).toEqual([220]);
      expect(timesOf((await store.after(S, 0, 2)).data)).toEqual([100, 160]);
      expect(timesOf((await store.between(S, 160, 220, 10)).data)).toEqual([160, 220]);
      expect(timesOf((await store.before(S, 220, 2)).data)).toEqual([100, 160]);
      expect(timesOf((await store.before(S, 221, 10)).data)).toEqual([100, 160, 220]);
      expect((await store.before(S, 100, 10)).data.length).toBe(0);
      expect(await store.head(S)).toBe(220);
      expect(await store.count(S)).toBe(3);
      expect(await store.count()).toBe(3);
      expect(await store.count(S, 2)).toBe(2); // bounded: "at least 2?"
      expect(await store.count(S, 10)).toBe(3);
      expect(candleAt((await store.tail(S, 1)).data, 0)).toEqual(candle(220));
    });

    it('summarises a series: extent, count and its holes, newest first', async () => {
      const store = await openStore();
      // 60-s bars with holes after 180 (2 bars missing), 480 (4) and 780 (1); another series does not count.
      await store.write(
        [
          { seriesId: S, data: packed([60, 120, 180, 360, 420, 480, 780, 900]) },
          { seriesId: E, data: packed([60, 600]) },
        ],
        { publish: false },
      );
      expect(await store.summary(S, 60, 2)).toEqual({
        first: 60,
        head: 900,
        count: 8,
        gapCount: 3,
        maxGapSeconds: 300,
        recentGaps: [
          { prev: 780, next: 900 },
          { prev: 480, next: 780 },
        ],
      });
      expect(await store.summary('binance:spot:NOPE/USDT:1m', 60, 5)).toEqual({
        first: null,
        head: null,
        count: 0,
        gapCount: 0,
        maxGapSeconds: null,
        recentGaps: [],
      });
    });

    it('answers an unknown series with no candles and a null head', async () => {
      const store = await openStore();
      const read = await store.tail('binance:spot:NOPE/USDT:1m', 10);
      expect(read.data.length).toBe(0);
      expect(read.head).toBeNull();
      expect(await store.head('binance:spot:NOPE/USDT:1m')).toBeNull();
    });

    it('upserts: the last write of a time wins, within one write and across writes', async () => {
      const store = await openStore();
      const first = new Float64Array([...packed([100], 1), ...packed([160], 1), ...packed([100], 7)]);
      await store.write([{ seriesId: S, data: first }], { publish: true });
      await store.write([{ seriesId: S, data: packed([160], 9) }], { publish: true });
      const all = (await store.tail(S, 10)).data;
      expect(timesOf(all)).toEqual([100, 160]);
      expect(candleAt(all, 0).open).toBe(7);
      expect(candleAt(all, 1).open).toBe(9);
    });

    it('sorts unsorted input and keeps series apart', async () => {
      const store = await openStore();
      await store.write(
        [
          { seriesId: S, data: packed([300, 100, 200]) },
          { seriesId: E, data: packed([60, 120]) },
        ],
        { publish: true },
      );
      expect(timesOf((await store.tail(S, 10)).data)).toEqual([100, 200, 300]);
      expect(timesOf((await store.tail(E, 10)).data)).toEqual([60, 120]);
    });

    it('announces each commit to listeners before the write resolves, with heads and publish flags', async () => {
      const store = await openStore();
      const seen: CommittedMessage[] = [];
      store.onCommitted((m) => seen.push(m));
      await store.write([{ seriesId: S, data: packed([100, 160]) }], { publish: false });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.segments).toEqual([expect.objectContaining({ seriesId: S, publish: false, head: 160 })]);
      expect(timesOf(seen[0]!.segments[0]!.data)).toEqual([100, 160]);
      await store.write([{ seriesId: S, data: packed([220]) }], { publish: true });
      expect(seen[1]!.segments).toEqual([expect.objectContaining({ seriesId: S, publish: true, head: 220 })]);
      expect(seen[1]!.commitSeq).toBe(seen[0]!.commitSeq + 1);
    });

    it('reports the series head even when the commit only touched older candles', async () => {
      const store = await openStore();
      await store.write([{ seriesId: S, data: packed([1000]) }], { publish: true });
      const seen: CommittedMessage[] = [];
      store.onCommitted((m) => seen.push(m));
      await store.write([{ seriesId: S, data: packed([400]) }], { publish: true });
      expect(seen[0]!.segments[0]!.head).toBe(1000);
    });

    it('commits writes issued together in one transaction per drain', async () => {
      const store = await openStore();
      const before = (await store.stats()).commits;
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.write([{ seriesId: S, data: packed([60 * (i + 1)]) }], { publish: true })));
      const after = await store.stats();
      expect(await store.count(S)).toBe(50);
      expect(after.commits - before).toBeLessThan(5);
    });

    it('refuses writes beyond its bound with overloaded, and keeps working', async () => {
      const store = await openStore({ maxPendingCandles: 1000 });
      const big = packed(Array.from({ length: 1001 }, (_, i) => i * 60));
      await expect(store.write([{ seriesId: S, data: big }], { publish: true })).rejects.toMatchObject({ code: 'overloaded' });
      await store.write([{ seriesId: S, data: packed([60]) }], { publish: true });
      expect(await store.count(S)).toBe(1);
    });

    it('accepts batches from a producer port and acks them after commit', async () => {
      const store = await openStore();
      const seen: CommittedMessage[] = [];
      store.onCommitted((m) => seen.push(m));
      const port = await store.connectProducer('ingest-test');
      const data = packed([60, 120, 180]);
      const ack = new Promise((resolve) => port.once('message', resolve));
      port.postMessage({ t: 'closed', seq: 7, series: [S], counts: [3], data, publish: true }, [data.buffer as ArrayBuffer]);
      expect(await ack).toEqual({ t: 'ack', seq: 7, ok: true, committed: 3 });
      expect(await store.count(S)).toBe(3);
      expect(seen.some((m) => m.segments.some((s) => s.seriesId === S && s.data.length === 3 * CANDLE_STRIDE))).toBe(true);
      port.close();
    });

    it('rejects a malformed producer batch with bad_request and stays up', async () => {
      const store = await openStore();
      const port = await store.connectProducer('ingest-bad');
      const ack = new Promise((resolve) => port.once('message', resolve));
      port.postMessage({ t: 'closed', seq: 1, series: [S], counts: [5], data: new Float64Array(6), publish: true });
      expect(await ack).toMatchObject({ t: 'ack', seq: 1, ok: false, error: { code: 'bad_request' } });
      await store.write([{ seriesId: S, data: packed([60]) }], { publish: true });
      expect(await store.count(S)).toBe(1);
      port.close();
    });

    it('refuses writes once closing began, with shutting_down', async () => {
      const store = await openStore();
      const closing = store.close();
      await expect(store.write([{ seriesId: S, data: packed([60]) }], { publish: true })).rejects.toMatchObject({ code: 'shutting_down' });
      await closing;
      stores.splice(stores.indexOf(store), 1);
    });

    it('flush waits for producer batches; close commits everything accepted', async () => {
      const dir = tempDir();
      const store = await openStore({}, dir);
      const port = await store.connectProducer('ingest-flush');
      const data = packed(Array.from({ length: 500 }, (_, i) => (i + 1) * 60));
      port.postMessage({ t: 'closed', seq: 1, series: [S], counts: [500], data, publish: true }, [data.buffer as ArrayBuffer]);
      const pending = store.write([{ seriesId: E, data: packed([60, 120]) }], { publish: true });
      await new Promise((r) => setTimeout(r, 20));
      await store.flush();
      expect(await store.count(S)).toBe(500);
      await pending;
      const late = store.write([{ seriesId: E, data: packed([180]) }], { publish: true });
      await store.close();
      await late;
      stores.splice(stores.indexOf(store), 1);
      const reopened = await openStore({}, dir);
      expect(await reopened.count(E)).toBe(3);
      expect(await reopened.count(S)).toBe(500);
    });
  });
}
