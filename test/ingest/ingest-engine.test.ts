import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../src/main/config/load-config.js';
import { CANDLE_STRIDE, type Candle } from '../../src/domain/candle.js';
import { FakeBinance } from '../../tools/fake-binance/fake-binance.js';
import { IngestEngine } from '../../src/ingest/ingest-engine.js';
import { setLogLevel } from '../../src/shared/log.js';
import { WriterProducer, type ClosedBatchMessage } from '../../src/writer/contract.js';
import { waitFor } from '../support/wait.js';
import { fakeBinanceSettings } from '../support/live-ingest.js';

/**
 * The whole in-thread ingest path against the fake exchange, with a stand-in writer that stores
 * what it receives and acks a moment later — what the real writer worker will do over a port.
 * 1m series whose minutes last 300 ms: a reconnect longer than a bar leaves a hole that the engine
 * must fill from REST, so the stored series ends up identical to what the exchange produced.
 */
let fake: FakeBinance;
let engine: IngestEngine;
const stored = new Map<string, Map<number, number[]>>();
const forming: { seriesId: string; candle: Candle; at: number }[] = [];
const batches: ClosedBatchMessage[] = [];

const FUT = 'binance:futures:BTC/USDT:1m';
const FUT_ALIAS = 'binance:futures:BTC/USDT:USDT:1m';
const SPOT = 'binance:spot:ETH/BTC:1m';

beforeAll(async () => {
  setLogLevel('silent');
  fake = await FakeBinance.start({ barMs: 300, tickMs: 25, generator: { backfillBars: 50 } });
  const settings = configWith(fakeBinanceSettings(fake, { formingMinIntervalMs: 100 }));
  // The worker's real producer; its port is the stand-in writer.
  const writer = new WriterProducer({ window: 64, mode: 'copy', commitFailure: 'wait' });
  writer.attach({
    postMessage: (msg: ClosedBatchMessage) => {
      batches.push(msg);
      let offset = 0;
      msg.series.forEach((seriesId, i) => {
        let rows = stored.get(seriesId);
        if (!rows) stored.set(seriesId, (rows = new Map()));
        for (let k = 0; k < msg.counts[i]!; k++, offset++) {
          const b = offset * CANDLE_STRIDE;
          rows.set(msg.data[b]!, Array.from(msg.data.subarray(b, b + CANDLE_STRIDE)));
        }
      });
      setTimeout(() => writer.ack({ t: 'ack', seq: msg.seq, ok: true, committed: offset }), 5);
    },
  });
  engine = new IngestEngine({
    settings,
    exchangeNow: () => fake.now(),
    stream: { backoff: { baseMs: 800, capMs: 800, random: () => 1 } },
    writer,
    onForming: (seriesId, candle) => forming.push({ seriesId, candle, at: Date.now() }),
  });
});
afterAll(async () => {
  await engine.close();
  await fake.close();
  setLogLevel('info');
});

/** Stored candles of a series from its first stored time on, against the exchange's history. */
function expectStoredLikeExchange(seriesId: string, market: 'spot' | 'futures', stream: string): number {
  const rows = stored.get(seriesId)!;
  const times = [...rows.keys()].sort((a, b) => a - b);
  const history = fake.generators[market].history(stream).filter((b) => b.t / 1000 >= times[0]! && b.t / 1000 <= times.at(-1)!);
  expect(times).toEqual(history.map((b) => b.t / 1000));
  for (const b of history) expect(rows.get(b.t / 1000)).toEqual([b.t / 1000, +b.o, +b.h, +b.l, +b.c, +b.v]);
  return times.length;
}

describe('IngestEngine against the fake exchange', () => {
  it('stores every closed bar of each series, filling the hole a reconnect leaves, and throttles forming', async () => {
    for (const id of [FUT, FUT_ALIAS, SPOT]) engine.start(id);
    expect(() => engine.start('binance:spot:BTC/USDT:7m')).toThrow(expect.objectContaining({ code: 'bad_request' }));
    await waitFor(() => (stored.get(SPOT)?.size ?? 0) >= 4 && (stored.get(FUT)?.size ?? 0) >= 4, 'four closes per series', 8_000);

    fake.dropAll();
    await waitFor(() => engine.stats().series.every((s) => s.gapFills >= 1), 'gap fills after the reconnect', 8_000);
    const closedNow = stored.get(FUT)!.size;
    // Closes after the reconnect wait behind the hole until its fill lands (GapHold), per series.
    await waitFor(
      () =>
        stored.get(FUT)!.size >= closedNow + 3 &&
        [FUT, FUT_ALIAS, SPOT].every((id) => stored.get(id)!.size >= 8) &&
        engine.stats().series.every((s) => s.held === 0),
      'closes after the fill, none held',
      8_000,
    );

    for (const [id, market, stream] of [
      [FUT, 'futures', 'btcusdt@kline_1m'],
      [FUT_ALIAS, 'futures', 'btcusdt@kline_1m'],
      [SPOT, 'spot', 'ethbtc@kline_1m'],
    ] as const) {
      expect(expectStoredLikeExchange(id, market, stream)).toBeGreaterThanOrEqual(8);
    }
    const stats = engine.stats();
    expect(stats.series.map((s) => [s.seriesId, s.gaps >= 1, s.gapFilledCandles >= 1, s.gapFillErrors, s.reconnects])).toEqual([
      [FUT, true, true, 0, 1],
      [FUT_ALIAS, true, true, 0, 1],
      [SPOT, true, true, 0, 1],
    ]);
    const fut = stats.series[0]!;
    expect(fut.closed).toBeGreaterThanOrEqual(5);
    expect(fut.lastClosedTime).toBe(Math.max(...stored.get(FUT)!.keys()));
    expect(fut.closeLagMs).toBeGreaterThan(0);
    expect(stats.connections.map((c) => [c.market, c.streams, c.connections[0]!.reconnects])).toEqual([
      ['spot', 1, 1],
      ['futures', 1, 1],
    ]);
    expect(stats.batcher).toMatchObject({ overflowed: 0 });

    for (const id of [FUT, SPOT]) {
      const mine = forming.filter((f) => f.seriesId === id);
      expect(mine.length).toBeGreaterThan(5);
      // 25 ms pushes, 100 ms throttle: far fewer forming updates than frames.
      expect(mine.length).toBeLessThan(engine.stats().series.find((s) => s.seriesId === id)!.formingReceived / 2);
    }
  });

  it('fills from the store head to the last closed bar when a series starts with history', async () => {
    const id = 'binance:futures:SOL/USDT:1m';
    // SOL exists on the fake from its first REST or WS use, with 50 bars made up front.
    await fetch(`${fake.restUrl()}/fapi/v1/klines?symbol=SOLUSDT&interval=1m&limit=1`);
    const history = fake.generators.futures.history('solusdt@kline_1m');
    const head = history[10]!.t / 1000;
    engine.start(id, head);
    await waitFor(() => (stored.get(id)?.size ?? 0) >= 45, 'history after the head filled', 8_000);
    const times = [...stored.get(id)!.keys()].sort((a, b) => a - b);
    expect(times[0]).toBe(head + 60);
    expectStoredLikeExchange(id, 'futures', 'solusdt@kline_1m');
  });

  it('stops a series: its stream is unsubscribed once no series reads it', async () => {
    engine.stop(SPOT);
    await waitFor(() => engine.stats().connections[0]!.connections.length === 0, 'the spot connection to close');
    const count = stored.get(SPOT)!.size;
    engine.stop(FUT);
    expect(engine.stats().connections[1]!.streams).toBe(2);
    await new Promise((r) => setTimeout(r, 700));
    expect(stored.get(SPOT)!.size).toBe(count);
    expect(engine.has(FUT)).toBe(false);
    expect(engine.has(FUT_ALIAS)).toBe(true);
  });
});
