import { afterEach, describe, expect, it } from 'vitest';
import { candle, http, postBatch, postForming, startTestGateway, WsClient, type TestGateway } from '../support/gateway-harness.js';
import { StalledWsClient } from '../support/stalled-ws-client.js';

/**
 * Native fan-out (docs/architecture.md "Fan-out", src/main/hub/topic-group.ts): caught-up
 * subscribers move onto a uWS topic and back to their own outbox when they fall behind. The
 * contract must not see the switch: per subscription, closed candles strictly increasing, none
 * lost or doubled, forming never older than what was sent, slow consumers closed with 1008.
 * Real gateway, real uWS, real WebSocket clients (undici, and a raw socket that stops reading).
 */
const S = 'binance:futures:BTC/USDT:1m';
const T = 'binance:spot:ETH/USDT:1m';

async function metric(gw: TestGateway, name: string): Promise<number> {
  const text = (await http(gw.url, 'GET', '/metrics')).text;
  return Number(new RegExp(`^kline_gateway_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** Publishes `count` closed candles of `series` (committed, then sent) in batches, a forming candle after each. */
async function publishRange(gw: TestGateway, series: string, first: number, count: number, perBatch: number): Promise<void> {
  for (let i = 0; i < count; i += perBatch) {
    const n = Math.min(perBatch, count - i);
    const candles = Array.from({ length: n }, (_, k) => candle(60 * (first + i + k)));
    expect((await postBatch(gw.url, series, candles, true)).status).toBe(200);
    expect((await postForming(gw.url, series, candle(60 * (first + i + n), 7))).status).toBe(200);
  }
}

interface Seen {
  closed: number[];
  /** Forming candle times, each checked against the closed ones sent before it. */
  staleForming: number;
  gaps: number;
}

/** Closed candle times and forming order of one series, from decoded messages. */
function seen(messages: readonly any[], series: string): Seen {
  const out: Seen = { closed: [], staleForming: 0, gaps: 0 };
  for (const m of messages) {
    if (m.series_id !== series) continue;
    if (m.type === 'candles_batch') out.closed.push(...m.candles.map((c: { candle_time: number }) => c.candle_time));
    else if (m.type === 'candle_closed') out.closed.push(m.candle.candle_time);
    else if (m.type === 'gap') out.gaps++;
    else if (m.type === 'candle_forming' && out.closed.length > 0 && m.candle.candle_time <= out.closed.at(-1)!) out.staleForming++;
  }
  return out;
}

const times = (first: number, count: number) => Array.from({ length: count }, (_, i) => 60 * (first + i));

async function until(what: string, done: () => Promise<boolean> | boolean, step: () => Promise<void>, maxSteps = 400): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    if (await done()) return;
    await step();
  }
  throw new Error(`gave up waiting for ${what} after ${maxSteps} steps`);
}

describe('WebSocket fan-out through uWS topics', () => {
  let gw: TestGateway | undefined;
  const closers: Array<() => void> = [];
  afterEach(async () => {
    closers.splice(0).forEach((c) => c());
    await gw?.dispose();
    gw = undefined;
  });

  async function client(query = ''): Promise<WsClient> {
    const c = await WsClient.connect(gw!, query);
    closers.push(() => c.close());
    return c;
  }

  it('a reader that stalls leaves the topic and comes back: every closed candle once, in order, across both switches', async () => {
    // cap = 256 KiB: a member starts a lease with ≤ 64 KiB buffered, a lease lasts ≤ 128 KiB.
    gw = await startTestGateway({ wsFormingSkipBytes: 256 * 1024, wsMaxBufferedBytes: 64 * 1024 * 1024 });
    const steady = await client();
    steady.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    const slow = await StalledWsClient.connect(gw.port);
    closers.push(() => slow.destroy());
    slow.sendText(JSON.stringify({ type: 'subscribe', series_id: S, since: 0, supports_batch: true }));

    let next = 1;
    const step = async () => {
      await publishRange(gw!, S, next, 200, 50);
      next += 200;
    };
    // Both catch up and join their topic.
    await until('both subscribers on the topic', async () => (await metric(gw!, 'ws_topic_joins_total')) >= 2, step);
    // The slow one stops reading: its lease runs out with its buffer full, so it leaves.
    slow.stall();
    await until('the stalled reader to leave its topic', async () => (await metric(gw!, 'ws_topic_leaves_total')) >= 1, step);
    // It reads again, catches up through its outbox and rejoins.
    slow.resume();
    const joinsBefore = await metric(gw, 'ws_topic_joins_total');
    await until('the reader to rejoin', async () => (await metric(gw!, 'ws_topic_joins_total')) > joinsBefore, step);
    await step();

    const total = next - 1;
    await until(
      'the steady client to have everything',
      () => seen(steady.messages, S).closed.length >= total,
      () => new Promise((r) => setTimeout(r, 20)),
    );
    await until(
      'the reader to have everything',
      () =>
        seen(
          slow.texts.map((t) => JSON.parse(t)),
          S,
        ).closed.length >= total,
      () => new Promise((r) => setTimeout(r, 20)),
    );
    for (const messages of [steady.messages, slow.texts.map((t) => JSON.parse(t))]) {
      const s = seen(messages, S);
      expect(s.closed).toEqual(times(1, total));
      expect(s.gaps).toBe(0);
      expect(s.staleForming).toBe(0);
    }
    expect(await metric(gw, 'ws_topic_publishes_total')).toBeGreaterThan(0);
    expect(await metric(gw, 'ws_slow_consumer_closes_total')).toBe(0);
  }, 120_000);

  it('a reader that never reads is still closed with 1008 after it was on a topic; the others get everything', async () => {
    gw = await startTestGateway({ wsFormingSkipBytes: 64 * 1024, wsMaxBufferedBytes: 256 * 1024 });
    const steady = await client();
    steady.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    const slow = await StalledWsClient.connect(gw.port);
    closers.push(() => slow.destroy());
    slow.sendText(JSON.stringify({ type: 'subscribe', series_id: S, since: 0, supports_batch: true }));
    let next = 1;
    const step = async () => {
      await publishRange(gw!, S, next, 200, 50);
      next += 200;
    };
    await until('both subscribers on the topic', async () => (await metric(gw!, 'ws_topic_joins_total')) >= 2, step);
    slow.stall();
    await until('the stalled reader to be closed', async () => (await metric(gw!, 'ws_slow_consumer_closes_total')) >= 1, step);
    expect(await slow.closeCode()).toBe(1008);
    const total = next - 1;
    await until(
      'the steady client to have everything',
      () => seen(steady.messages, S).closed.length >= total,
      () => new Promise((r) => setTimeout(r, 20)),
    );
    expect(seen(steady.messages, S).closed).toEqual(times(1, total));
    // Forming updates were skipped before closed data forced the close (the per-socket rules).
    expect(await metric(gw, 'ws_forming_skipped_total')).toBeGreaterThan(0);
  }, 120_000);

  it('several subscriptions on one socket, JSON and msgpack sockets, batch and stream clients: each gets its own exact sequence', async () => {
    gw = await startTestGateway();
    const json = await client();
    const packed = await client('?encoding=msgpack');
    json.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    json.send({ type: 'subscribe', series_id: T, since: 0, supports_batch: false });
    packed.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: false });
    packed.send({ type: 'subscribe', series_id: T, since: 0, supports_batch: true });
    let next = 1;
    const step = async () => {
      await publishRange(gw!, S, next, 20, 5);
      await publishRange(gw!, T, next, 20, 5);
      next += 20;
    };
    // Four subscriptions, four groups (series × encoding × supports_batch): all four join.
    await until('all four subscriptions on topics', async () => (await metric(gw!, 'ws_topic_joins_total')) >= 4, step);
    for (let i = 0; i < 3; i++) await step();
    const total = next - 1;
    for (const c of [json, packed]) {
      for (const series of [S, T]) {
        await until(
          `${series} complete`,
          () => seen(c.messages, series).closed.length >= total,
          () => new Promise((r) => setTimeout(r, 20)),
        );
        const s = seen(c.messages, series);
        expect(s.closed).toEqual(times(1, total));
        expect(s.staleForming).toBe(0);
      }
    }
    // Batch subscriptions got candles_batch for the 5-candle batches, stream ones candle_closed only.
    const types = (c: WsClient, series: string) => new Set(c.messages.filter((m) => m.series_id === series).map((m) => m.type));
    expect(types(json, S).has('candles_batch')).toBe(true);
    expect(types(json, T).has('candles_batch')).toBe(false);
    expect(types(packed, S).has('candles_batch')).toBe(false);
    expect(types(packed, T).has('candles_batch')).toBe(true);
    expect(await metric(gw, 'ws_topic_publishes_total')).toBeGreaterThan(0);
  }, 120_000);

  it('unsubscribe while on a topic: nothing more of that series; a new subscribe with since resumes exactly', async () => {
    gw = await startTestGateway();
    const c = await client();
    c.send({ type: 'subscribe', series_id: S, since: 0, supports_batch: true });
    let next = 1;
    await until(
      'the subscription on its topic',
      async () => (await metric(gw!, 'ws_topic_joins_total')) >= 1,
      async () => {
        await publishRange(gw!, S, next, 10, 5);
        next += 10;
      },
    );
    await publishRange(gw, S, next, 10, 5);
    next += 10;
    const sentBefore = next - 1;
    await until(
      'everything before the unsubscribe',
      () => seen(c.messages, S).closed.length >= sentBefore,
      () => new Promise((r) => setTimeout(r, 20)),
    );
    const leavesBefore = await metric(gw, 'ws_topic_leaves_total');
    c.send({ type: 'unsubscribe', series_id: S });
    // Messages are handled in order: once T's catch-up is here, the unsubscribe was done.
    c.send({ type: 'subscribe', series_id: T, since: 0, supports_batch: true });
    await publishRange(gw, T, 1, 1, 1);
    await until(
      'T live',
      () => seen(c.messages, T).closed.length >= 1,
      () => new Promise((r) => setTimeout(r, 20)),
    );
    expect(await metric(gw, 'ws_topic_leaves_total')).toBe(leavesBefore + 1);
    await publishRange(gw, S, next, 10, 5);
    next += 10;
    await publishRange(gw, T, 2, 1, 1);
    await until(
      'T again',
      () => seen(c.messages, T).closed.length >= 2,
      () => new Promise((r) => setTimeout(r, 20)),
    );
    expect(seen(c.messages, S).closed).toEqual(times(1, sentBefore));
    c.send({ type: 'subscribe', series_id: S, since: 60 * sentBefore, supports_batch: true });
    await until(
      'S resumed',
      () => seen(c.messages, S).closed.length >= next - 1,
      () => new Promise((r) => setTimeout(r, 20)),
    );
    expect(seen(c.messages, S).closed).toEqual(times(1, next - 1));
  }, 60_000);
});
