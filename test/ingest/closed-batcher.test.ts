import { afterEach, describe, expect, it } from 'vitest';
import { CANDLE_STRIDE, type Candle } from '../../src/domain/candle.js';
import { setLogSink } from '../../src/shared/log.js';
import { WriterProducer, type ClosedBatchMessage } from '../../src/writer/contract.js';
import { ClosedBatcher } from '../../src/ingest/closed-batcher.js';
import { ManualClock } from '../../src/shared/clock.js';

const candle = (t: number, p = 1): Candle => ({ candle_time: t, open: p, high: p + 1, low: p - 1, close: p, volume: 10 });

function setup(options: { maxBatch?: number; flushMs?: number; maxInFlight?: number; maxPending?: number } = {}) {
  const clock = new ManualClock();
  const sent: { msg: ClosedBatchMessage; transfer: ArrayBuffer[] | undefined; at: number }[] = [];
  const overflow: [string, number][] = [];
  // The worker's real producer; the test plays the writer's port and decides when to ack.
  const producer = new WriterProducer({ window: options.maxInFlight ?? 64, mode: 'copy', commitFailure: 'wait' });
  producer.attach({ postMessage: (msg, transfer) => sent.push({ msg, transfer, at: clock.now() }) });
  const batcher = new ClosedBatcher({
    maxBatch: options.maxBatch ?? 200,
    flushMs: options.flushMs ?? 500,
    maxPending: options.maxPending,
    clock,
    producer,
    onOverflow: (s, t) => overflow.push([s, t]),
  });
  const ack = (i: number, ok = true) =>
    producer.ack({
      t: 'ack',
      seq: sent[i]!.msg.seq,
      ok,
      committed: ok ? sent[i]!.msg.data.length / CANDLE_STRIDE : 0,
      ...(ok ? {} : { retrying: true, error: { code: 'store_failed' as const, message: 'commit failed: disk I/O error' } }),
    });
  return { clock, sent, overflow, batcher, ack, producer };
}

afterEach(() => setLogSink(undefined));

/** The end of the current turn: a low-load flush is a microtask queued by the first add of the turn. */
const endOfTurn = () => Promise.resolve();

describe('ClosedBatcher', () => {
  it('sends a single closed candle at the end of its turn when nothing is in flight (no timer wait)', async () => {
    const { sent, batcher } = setup();
    batcher.add('binance:spot:BTC/USDT:1m', candle(60, 5));
    expect(sent).toHaveLength(0);
    await endOfTurn();
    expect(sent).toHaveLength(1);
    const { msg, transfer } = sent[0]!;
    expect(msg).toMatchObject({ t: 'closed', seq: 1, series: ['binance:spot:BTC/USDT:1m'], counts: [1], publish: true });
    expect([...msg.data]).toEqual([60, 5, 6, 4, 5, 10]);
    // Copied, not transferred: the batch is kept for a resend after a writer restart.
    expect(transfer).toBeUndefined();
  });

  it('at low load sends the candles of one turn together, also while a batch is in flight (the writer takes them into its next drain)', async () => {
    const { sent, batcher } = setup();
    batcher.add('a', candle(60));
    batcher.add('b', candle(60));
    await endOfTurn();
    batcher.add('a', candle(120));
    batcher.add('c', candle(60));
    await endOfTurn();
    batcher.add('b', candle(120));
    await endOfTurn();
    expect(sent.map((s) => s.msg.series)).toEqual([['a', 'b'], ['a', 'c'], ['b']]);
    expect(batcher.stats()).toMatchObject({ inFlight: 3, pendingCandles: 0 });
  });

  it('busy (a full batch of candles unacked): coalesces and sends per-series segments in arrival order on ack', async () => {
    const { sent, batcher, ack } = setup({ maxBatch: 5 });
    for (let i = 1; i <= 3; i++) batcher.add('x', candle(60 * i));
    await endOfTurn();
    batcher.add('y', candle(60));
    batcher.add('y', candle(120));
    await endOfTurn();
    expect(sent.map((s) => s.msg.counts)).toEqual([[3], [2]]);
    batcher.add('b', candle(60));
    batcher.add('a', candle(60));
    batcher.add('a', candle(120));
    batcher.add('c', candle(60));
    await endOfTurn();
    expect(sent).toHaveLength(2);
    ack(0);
    expect(sent).toHaveLength(3);
    expect(sent[2]!.msg.series).toEqual(['b', 'a', 'c']);
    expect(sent[2]!.msg.counts).toEqual([1, 2, 1]);
    expect(Array.from({ length: 4 }, (_, i) => sent[2]!.msg.data[i * CANDLE_STRIDE])).toEqual([60, 60, 120, 60]);
  });

  it('a backlog goes out series by series (oldest waiting candle first), maxBatch per message', async () => {
    const { sent, batcher, ack } = setup({ maxBatch: 5, maxInFlight: 1 });
    batcher.retain('a');
    batcher.add('a', candle(60));
    await endOfTurn();
    // The one slot is taken: 12 candles wait (a, b, a, a, c, then b × 7).
    for (const [s, t] of [
      ['a', 120],
      ['b', 60],
      ['a', 180],
      ['a', 240],
      ['c', 60],
    ] as const)
      batcher.add(s, candle(t));
    for (let i = 2; i <= 8; i++) batcher.add('b', candle(60 * i));
    expect(batcher.stats().pendingCandles).toBe(12);
    for (let i = 0; i < 3; i++) ack(i);
    // Long runs of few series per message: the writer's drain then touches fewer index pages per row.
    expect(sent.slice(1).map((s) => [s.msg.series, s.msg.counts])).toEqual([
      [
        ['a', 'b'],
        [3, 2],
      ],
      [['b'], [5]],
      [
        ['b', 'c'],
        [1, 1],
      ],
    ]);
    const times = (i: number) => Array.from({ length: sent[i]!.msg.data.length / CANDLE_STRIDE }, (_, k) => sent[i]!.msg.data[k * CANDLE_STRIDE]);
    expect([times(1), times(2), times(3)]).toEqual([
      [120, 180, 240, 60, 120],
      [180, 240, 300, 360, 420],
      [480, 60],
    ]);
    expect(batcher.stats()).toMatchObject({ pendingCandles: 0, candlesSent: 13 });
    // A retained series (a running job) is waited for again at once; released, it goes.
    batcher.release('a');
    batcher.add('a', candle(300));
    ack(3);
    expect(sent[4]!.msg.series).toEqual(['a']);
  });

  it('small low-load batches take at most a quarter of the window: then candles coalesce', async () => {
    const { sent, batcher, ack } = setup({ maxInFlight: 8 });
    for (let i = 1; i <= 5; i++) {
      batcher.add('a', candle(60 * i));
      await endOfTurn();
    }
    expect(sent.map((s) => s.msg.counts)).toEqual([[1], [1]]);
    ack(0);
    expect(sent.map((s) => s.msg.counts)).toEqual([[1], [1], [3]]);
  });

  it('sends coalesced candles after flushMs even without an ack, while slots remain', async () => {
    const { clock, sent, batcher } = setup({ flushMs: 500, maxInFlight: 2 });
    batcher.add('a', candle(60));
    await endOfTurn();
    batcher.add('a', candle(120));
    await endOfTurn();
    clock.advance(499);
    expect(sent).toHaveLength(1);
    clock.advance(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.msg.counts).toEqual([1]);
  });

  it('under load: every batch ≤ maxBatch and no candle waits longer than flushMs', async () => {
    const { clock, sent, batcher, ack } = setup({ maxBatch: 50, flushMs: 100, maxInFlight: 4 });
    const addedAt = new Map<string, number>();
    let acked = 0;
    // 40 series × 1 close every 5 ms for 2 s; the writer acks each batch 10 ms after it is sent.
    for (let step = 0; step < 400; step++) {
      for (let s = 0; s < 40; s++) {
        const t = 60 * (step + 1);
        addedAt.set(`s${s}|${t}`, clock.now());
        batcher.add(`s${s}`, candle(t));
      }
      clock.advance(5);
      while (acked < sent.length && sent[acked]!.at + 10 <= clock.now()) ack(acked++);
    }
    clock.advance(1000);
    while (acked < sent.length) ack(acked++);
    let total = 0;
    let maxWait = 0;
    for (const { msg, at } of sent) {
      expect(msg.data.length / CANDLE_STRIDE).toBeLessThanOrEqual(50);
      let offset = 0;
      msg.series.forEach((s, i) => {
        for (let k = 0; k < msg.counts[i]!; k++) {
          maxWait = Math.max(maxWait, at - addedAt.get(`${s}|${msg.data[(offset + k) * CANDLE_STRIDE]}`)!);
        }
        offset += msg.counts[i]!;
      });
      total += offset;
    }
    expect(total).toBe(16_000);
    // Load really coalesced: far fewer batches than candles.
    expect(sent.length).toBeLessThan(16_000 / 10);
    expect(maxWait).toBeLessThanOrEqual(100);
    await Promise.resolve(); // acks settle each batch's promise on the next microtask
    expect(batcher.stats()).toMatchObject({ pendingCandles: 0, inFlight: 0, candlesSent: 16_000, candlesAcked: 16_000, overflowed: 0 });
  });

  it('says so when every in-flight slot is taken, and drops beyond maxPending through onOverflow', async () => {
    const lines: string[] = [];
    setLogSink((l) => lines.push(l));
    const { sent, batcher, overflow, ack } = setup({ maxBatch: 2, maxInFlight: 1, maxPending: 4 });
    batcher.add('a', candle(60));
    await endOfTurn();
    for (let i = 2; i <= 7; i++) batcher.add('a', candle(60 * i));
    expect(sent).toHaveLength(1);
    expect(batcher.stats()).toMatchObject({ fullEvents: 1, pendingCandles: 4, overflowed: 2 });
    expect(overflow).toEqual([
      ['a', 360],
      ['a', 420],
    ]);
    expect(lines.some((l) => l.includes('"level":"warn"') && l.includes('every in-flight slot taken'))).toBe(true);
    // Two drops, one warning: the next one may come 5 s later at the earliest (no log flood).
    expect(lines.filter((l) => l.includes('closed candles dropped'))).toHaveLength(1);
    ack(0);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.msg.counts).toEqual([2]);
    expect(sent[0]!.msg.counts).toEqual([1]);
  });

  it('adds packed gap-fill pages and drains on shutdown once everything is acked', async () => {
    const { sent, batcher, ack } = setup({ maxInFlight: 2 });
    batcher.add('a', candle(600));
    await endOfTurn();
    batcher.addPacked('a', new Float64Array([60, 1, 2, 0, 1, 5, 120, 1, 2, 0, 1, 6]));
    expect(sent).toHaveLength(1);
    let drained = false;
    const done = batcher.drain().then(() => (drained = true));
    // drain() flushes what waits for the timer right away.
    expect(sent).toHaveLength(2);
    expect(sent[1]!.msg.counts).toEqual([2]);
    ack(0);
    await Promise.resolve();
    expect(drained).toBe(false);
    ack(1);
    await done;
    expect(drained).toBe(true);
  });

  it('keeps a batch whose commit failed in flight, without resending, until the writer commits it on retry', async () => {
    const { sent, batcher, ack, producer } = setup({ maxInFlight: 2 });
    batcher.add('a', candle(60));
    await endOfTurn();
    ack(0, false);
    batcher.add('a', candle(120));
    await endOfTurn();
    expect(sent).toHaveLength(1);
    expect(batcher.stats()).toMatchObject({ inFlight: 1, candlesAcked: 0, pendingCandles: 1 });
    expect(producer.stats()).toMatchObject({ failedCommits: 1, unacked: 1 });
    ack(0);
    expect(sent).toHaveLength(2);
    await Promise.resolve();
    expect(batcher.stats()).toMatchObject({ inFlight: 1, candlesAcked: 1 });
  });
});
