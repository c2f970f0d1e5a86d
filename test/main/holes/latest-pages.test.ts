import fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { configWith } from '../../../src/main/config/load-config.js';
import { BackfillService } from '../../../src/main/holes/backfill-service.js';
import { IngestWorkerService } from '../../../src/ingest/ingest-worker-service.js';
import { setLogLevel } from '../../../src/shared/log.js';
import type { CommittedMessage } from '../../../src/writer/contract.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { candleCount } from '../../../src/domain/candle.js';
import { timesOf } from '../../support/candles.js';
import { fakeRestRows } from '../../support/fake-rest-rows.js';
import { InThreadStore } from '../../support/in-thread-store.js';
import { fakeBinanceSettings, type Row } from '../../support/live-ingest.js';
import { useTempDir } from '../../support/temp-dir.js';

/**
 * BackfillService.fetchLatest paging (latest-pages.ts) with real parts: a SQLite store in this
 * thread, an ingest worker's service in this thread asking the paused fake over loopback. The
 * newest page is committed while the older ones are fetched; what is committed always reaches
 * back from the exchange's head without a break.
 */
const TF = 60; // spot pages: 1,000 rows at most

describe('BackfillService.fetchLatest: newest page first, committed while older pages are fetched', () => {
  const tempDir = useTempDir();
  let fake: FakeBinance;
  let worker: IngestWorkerService;
  let store: InThreadStore;
  let commits: CommittedMessage[];
  let service: BackfillService;
  let n = 0;

  beforeAll(async () => {
    setLogLevel('silent');
    fake = await FakeBinance.start({ paused: true });
  });
  afterAll(async () => {
    await fake.close();
    setLogLevel('info');
  });
  beforeEach(async () => {
    // A worker per test: a refused page must not leave its budget blocked for the next test.
    worker = new IngestWorkerService({ index: 0, settings: configWith(fakeBinanceSettings(fake)), restBudgetWays: 1 }, { postMessage: () => undefined });
    store = await InThreadStore.open({ dbPath: join(tempDir(), 'market.db'), synchronous: 'OFF', rowsPerStatement: 100, maxPendingCandles: 100_000 });
    commits = [];
    store.onCommitted((msg) => commits.push(msg));
    service = new BackfillService({ store, readLimit: 5000 });
    service.connectExchange(worker);
    fake.rest.log.length = 0;
  });
  afterEach(async () => {
    await worker.close();
    await store.close();
  });

  /** A symbol no other test has asked about, and its last closed bar (seconds). */
  const fresh = () => {
    const symbol = `LP${n++}`;
    const seriesId = `binance:spot:${symbol}/USDT:1m`;
    const lastClosed = Math.floor(fake.now() / 60_000) * TF - TF;
    return { seriesId, symbol: `${symbol}USDT`, lastClosed };
  };
  const exchangeRows = (symbol: string, from: number, to: number): Promise<Row[]> => fakeRestRows(fake, 'spot', symbol, '1m', from, to);
  const rows = (packed: Float64Array): Row[] => Array.from({ length: packed.length / 6 }, (_, i) => [...packed.subarray(i * 6, i * 6 + 6)] as Row);
  const committedTimes = () => commits.map((c) => c.segments.flatMap((s) => timesOf(s.data)));
  const asked = (symbol: string) => fake.rest.log.filter((e) => e.params.symbol === symbol).map((e) => [e.params.limit, e.params.startTime ?? null, e.status]);

  it('2,000 bars: three pages, each committed as it arrives (the newest 999 first), value for value the exchange', async () => {
    const { seriesId, symbol, lastClosed } = fresh();
    const seen: number[][] = [];
    const got = await service.fetchLatest(seriesId, 2000, null, (candles) => seen.push(timesOf(candles)));
    const [first, ...rest] = asked(symbol);
    expect(got).toMatchObject({ ok: true, requests: 3, currentOpen: lastClosed + TF });
    expect(rows(got.candles)).toEqual(await exchangeRows(symbol, lastClosed - 1999 * TF, lastClosed));
    const newest = Array.from({ length: 999 }, (_, i) => lastClosed - (998 - i) * TF);
    const older = Array.from({ length: 1001 }, (_, i) => lastClosed - (1999 - i) * TF);
    // The newest page first, then each older page as it arrived (newest first; the writer may
    // take two that arrive together in one drain).
    const [firstCommit, ...olderCommits] = committedTimes();
    expect(firstCommit).toEqual(newest);
    expect(olderCommits.reverse().flat()).toEqual(older);
    // The caller saw each page while it was being committed, in the same order.
    expect(seen[0]).toEqual(newest);
    expect(seen.slice(1).reverse().flat()).toEqual(older);
    // A full newest page (999 closed + the forming bar), then the 1,001 older bars in two even pages.
    expect(first).toEqual(['1000', null, 200]);
    expect(rest.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      ['500', String(older[0]! * 1000), 200],
      ['501', String(older[500]! * 1000), 200],
    ]);
    expect(timesOf((await store.tail(seriesId, 3000)).data)).toEqual([...older, ...newest]);
    // The worker asked for both older pages itself, and each was asked for once.
    expect(worker.stats().olderPagesAhead).toEqual({ fetched: 2, claimed: 2, dropped: 0 });
  });

  it('with a stored head: only the bars after it, in as few pages as that takes', async () => {
    const { seriesId, symbol, lastClosed } = fresh();
    const head = lastClosed - 1200 * TF;
    const got = await service.fetchLatest(seriesId, 2000, head);
    const requests = asked(symbol);
    expect(got.ok).toBe(true);
    expect(rows(got.candles)).toEqual(await exchangeRows(symbol, head + TF, lastClosed));
    expect(requests).toEqual([
      ['1000', null, 200],
      ['201', String((head + TF) * 1000), 200],
    ]);
    expect(worker.stats().olderPagesAhead).toEqual({ fetched: 1, claimed: 1, dropped: 0 });
  });

  it('the older pages leave from the worker before the newest page reaches the caller', async () => {
    const { seriesId } = fresh();
    const requestsAtFirstClaim: number[] = [];
    // The exchange as the service sees it, with the worker's request count read at each older-page call.
    service.connectExchange({
      fetchLatest: (...args) => worker.fetchLatest(...args),
      tailStoredHead: (...args) => worker.tailStoredHead(...args),
      fetchClosed: (...args) => {
        requestsAtFirstClaim.push(worker.stats().rest.spot.requests);
        return worker.fetchClosed(...args);
      },
    });
    const got = await service.fetchLatest(seriesId, 2000, null);
    expect(got).toMatchObject({ ok: true, requests: 3 });
    expect(requestsAtFirstClaim).toEqual([3, 3]);
  });

  it('the worker fetches ahead only once it knows the stored head, and only what the caller will ask for', async () => {
    const { seriesId, symbol, lastClosed } = fresh();
    // The head arrives after the newest page: the older pages go out then.
    const late = await worker.fetchLatest(seriesId, 999, true, { id: 1_000_001, missing: 1001 });
    expect(worker.stats().olderPagesAhead.fetched).toBe(0);
    const oldest = late.candles[0]!;
    // The reply's candles went to the main thread by transfer, as a worker's postMessage does:
    // the buffer the worker scanned is empty now, and what it kept of the page must still do.
    structuredClone(late.candles.buffer, { transfer: [late.candles.buffer] });
    expect(late.candles.length).toBe(0);
    worker.tailStoredHead(seriesId, 1_000_001, null);
    expect(worker.stats().olderPagesAhead.fetched).toBe(2);
    // 1,001 bars older than the newest page: two pages, 501 and 500.
    const page = await worker.fetchClosed(seriesId, oldest - 501 * TF, oldest - TF, true, 1_000_001);
    expect(rows(page.candles)).toEqual(await exchangeRows(symbol, oldest - 501 * TF, oldest - TF));
    expect(page.json).toBeDefined(); // asked for with the newest page's json flag
    expect(worker.stats().olderPagesAhead).toMatchObject({ fetched: 2, claimed: 1 });

    // A head the newest page reaches: nothing older is wanted, nothing is fetched ahead.
    const { seriesId: reaching } = fresh();
    worker.tailStoredHead(reaching, 1_000_002, lastClosed - 10 * TF);
    await worker.fetchLatest(reaching, 999, false, { id: 1_000_002, missing: 1001 });
    // A head the main thread could not read: nothing is fetched ahead; asked for, a page is fetched then.
    const { seriesId: unread } = fresh();
    const newest = await worker.fetchLatest(unread, 999, false, { id: 1_000_003, missing: 1001 });
    worker.tailStoredHead(unread, 1_000_003, 'unknown');
    const before = worker.stats().rest.spot.requests;
    const asked = await worker.fetchClosed(unread, newest.candles[0]! - TF, newest.candles[0]! - TF, false, 1_000_003);
    expect(candleCount(asked.candles)).toBe(1);
    expect(worker.stats().rest.spot.requests).toBe(before + 1);
    expect(worker.stats().olderPagesAhead).toMatchObject({ fetched: 2, claimed: 1 });
  });

  it('fewer bars than a page: one request, one commit', async () => {
    const { seriesId, symbol, lastClosed } = fresh();
    const got = await service.fetchLatest(seriesId, 50, null);
    const requests = asked(symbol);
    expect(rows(got.candles)).toEqual(await exchangeRows(symbol, lastClosed - 49 * TF, lastClosed));
    expect(requests).toEqual([['51', null, 200]]);
    expect(commits).toHaveLength(1);
  });

  /**
   * Which older page was refused is up to the order they reach the fake (they go out together):
   * whichever it was, what is kept reaches from the newest bar back to just after it.
   */
  const keptAfterRefusal = async (symbol: string, lastClosed: number): Promise<Row[]> => {
    const refused = fake.rest.log.find((e) => e.params.symbol === symbol && e.status === 403)!;
    const refusedTo = Number(refused.params.startTime) / 1000 + (Number(refused.params.limit) - 1) * TF;
    return exchangeRows(symbol, refusedTo + TF, lastClosed);
  };

  it('an older page that fails: it and every older one are dropped; the newer ones stay committed', async () => {
    for (const [count, skip, newest] of [
      [2001, 2, 999],
      [3000, 1, 999],
    ] as const) {
      const { seriesId, symbol, lastClosed } = fresh();
      fake.rest.failNext(1, 403, 0, skip); // the newest page (and `skip - 1` older ones) answered
      const got = await service.fetchLatest(seriesId, count, null);
      expect(got.ok).toBe(false);
      expect(got.error?.message).toMatch(/HTTP 403/);
      const kept = await keptAfterRefusal(symbol, lastClosed);
      expect(kept.length).toBeGreaterThanOrEqual(newest);
      expect(kept.length).toBeLessThan(count);
      expect(rows(got.candles)).toEqual(kept);
      expect(timesOf((await store.tail(seriesId, 4000)).data)).toEqual(kept.map((r) => r[0]));
    }
  });

  it('its commits are exchange copies: they do not wait for the disk (the store syncs other writes)', async () => {
    await store.close();
    store = await InThreadStore.open({ dbPath: join(tempDir(), 'durable.db'), synchronous: 'FULL', rowsPerStatement: 100, maxPendingCandles: 100_000 });
    service = new BackfillService({ store, readLimit: 5000 });
    service.connectExchange(worker);
    const syncs = vi.spyOn(fs, 'fsyncSync');
    try {
      const { seriesId } = fresh();
      expect((await service.fetchLatest(seriesId, 1500, null)).ok).toBe(true);
      expect(syncs).not.toHaveBeenCalled();
      await store.write([{ seriesId, data: Float64Array.of(1, 1, 1, 1, 1, 1) }], { publish: false });
      expect(syncs).toHaveBeenCalled();
    } finally {
      syncs.mockRestore();
    }
  });

  it('a hole on the exchange inside an older page is data, not a failure', async () => {
    const { seriesId, symbol, lastClosed } = fresh();
    const stream = `${symbol.toLowerCase()}@kline_1m`;
    fake.rest.addHole('spot', stream, (lastClosed - 1500 * TF) * 1000, (lastClosed - 1490 * TF) * 1000);
    try {
      const got = await service.fetchLatest(seriesId, 2000, null);
      expect(got.ok).toBe(true);
      const want = await exchangeRows(symbol, lastClosed - 1999 * TF, lastClosed);
      expect(want).toHaveLength(1989);
      expect(rows(got.candles)).toEqual(want);
    } finally {
      fake.rest.clearHoles();
    }
  });
});
