import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../../../src/domain/candle.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { BinanceStream, type BinanceStreamOptions } from '../../../src/ingest/binance/binance-stream.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { sleep, waitFor } from '../../support/wait.js';

/**
 * The stream client against the fake exchange over real loopback sockets. Bars are 1m series whose
 * virtual minutes last 400 ms of real time, so a few seconds cover many closes.
 */
const STREAMS = ['btcusdt@kline_1m', 'ethusdt@kline_1m', 'solusdt@kline_1m'];
const key = (stream: string, t: number, closed: boolean, E: number) => `${stream}|${t}|${closed}|${E}`;

let fake: FakeBinance;
const clients: BinanceStream[] = [];

beforeAll(async () => {
  setLogLevel('silent');
  // Pings every 400 ms: 50× more often than Binance spot, so pongs weigh on the pacing test.
  fake = await FakeBinance.start({ barMs: 400, tickMs: 40, pingIntervalMs: 400, recordFrames: true });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await fake.close();
  setLogLevel('info');
});

/** What the test keeps of a delivered frame (the frame itself is reused for the next one). */
interface Got {
  stream: string;
  closed: boolean;
  eventTimeMs: number;
  candle: Candle;
}

function client(options: Partial<BinanceStreamOptions> = {}): { stream: BinanceStream; got: Got[] } {
  const got: Got[] = [];
  const stream = new BinanceStream({
    baseUrl: fake.wsUrl('futures'),
    inboundMsgsPerSecond: 10,
    serverPingIntervalMs: 400,
    onKline: (f) => got.push({ stream: f.stream!, closed: f.closed, eventTimeMs: f.eventTimeMs, candle: f.candle() }),
    ...options,
  });
  clients.push(stream);
  return { stream, got };
}

/** Generated frames of `streams` from the first one the client got up to the last generated one. */
function expectedAfter(got: Got[], streams: string[], untilE: number): string[] {
  const out: string[] = [];
  for (const stream of streams) {
    const first = got.find((g) => g.stream === stream)!;
    for (const { market, frame: f } of fake.frameLog) {
      if (market !== 'futures' || f.stream !== stream || f.eventTimeMs < first.eventTimeMs || f.eventTimeMs > untilE) continue;
      out.push(key(f.stream, f.openTimeMs / 1000, f.closed, f.eventTimeMs));
    }
  }
  return out.sort();
}

function receivedUntil(got: Got[], untilE: number): string[] {
  return got
    .filter((g) => g.eventTimeMs <= untilE)
    .map((g) => key(g.stream, g.candle.candle_time, g.closed, g.eventTimeMs))
    .sort();
}

describe('BinanceStream against the fake exchange', () => {
  it('receives forming and closed frames of every stream of a combined connection, values as generated; pings are answered', async () => {
    const { stream, got } = client();
    stream.add(STREAMS);
    await waitFor(() => STREAMS.every((s) => got.filter((g) => g.stream === s && g.closed).length >= 3), '3 closes per stream');
    for (const ev of got.filter((g) => g.closed)) {
      const bar = fake.generators.futures.history(ev.stream).find((b) => b.t === ev.candle.candle_time * 1000)!;
      expect(ev.candle).toEqual({
        candle_time: bar.t / 1000,
        open: Number(bar.o),
        high: Number(bar.h),
        low: Number(bar.l),
        close: Number(bar.c),
        volume: Number(bar.v),
      });
    }
    const conn = fake.connectionStats().at(-1)!;
    expect(conn.path).toBe(`/market/stream?streams=${STREAMS.join('/')}`);
    expect(conn.pongs).toBeGreaterThan(0);
    expect(stream.stats()).toMatchObject({ connected: true, connects: 1, reconnects: 0 });
  });

  it('reconnects after 5 drops and 1 stall, with growing backoff delays', async () => {
    const { stream, got } = client({ backoff: { baseMs: 40, capMs: 400, random: () => 0.5 }, silenceTimeoutMs: 300, stableAfterMs: 60_000 });
    stream.add(STREAMS.slice(0, 1));
    for (let drop = 1; drop <= 5; drop++) {
      const before = got.length;
      await waitFor(() => stream.stats().connected && got.length > before + 2, `data before drop ${drop}`);
      fake.dropAll();
      await waitFor(() => stream.stats().reconnects === drop, `reconnect ${drop}`);
    }
    const before = got.length;
    await waitFor(() => stream.stats().connected && got.length > before + 2, 'data before the stall');
    fake.silence(5_000);
    await waitFor(() => stream.stats().silenceKills === 1 && stream.stats().reconnects === 6, 'watchdog reconnect');
    const afterStall = got.length;
    await waitFor(() => got.length > afterStall + 2, 'data after the stall');
    // Equal jitter with random 0.5: 3/4 of 40, 80, 160, 320, 400 (cap), 400 ms.
    expect(stream.stats().recentBackoffMs).toEqual([30, 60, 120, 240, 300, 300]);
    expect(stream.stats().connects).toBe(7);
  });

  it('rotates make-before-break: no frame lost or duplicated across the overlaps', async () => {
    const { stream, got } = client({ rotateAfterMs: 600, handoverGraceMs: 150 });
    stream.add(STREAMS);
    await waitFor(() => stream.stats().rotations >= 4, '4 rotations', 10_000);
    const untilE = fake.now() - 200;
    await sleep(100);
    const received = receivedUntil(got, untilE);
    expect(new Set(received).size).toBe(received.length);
    expect(received).toEqual(expectedAfter(got, STREAMS, untilE));
    expect(stream.stats().reconnects).toBe(0);
    expect(stream.stats().duplicatesDropped).toBeGreaterThan(0);
  });

  it('treats serverShutdown like a rotation: replaced before the server closes, nothing lost or doubled', async () => {
    const { stream, got } = client({ handoverGraceMs: 100 });
    stream.add(STREAMS);
    for (let i = 1; i <= 3; i++) {
      await waitFor(() => stream.stats().connected && got.length > 10 * i, `data before notice ${i}`);
      fake.serverShutdown(1_000);
      await waitFor(() => stream.stats().rotations === i, `rotation ${i}`);
    }
    await sleep(1_100);
    const untilE = fake.now() - 200;
    const received = receivedUntil(got, untilE);
    expect(new Set(received).size).toBe(received.length);
    expect(received).toEqual(expectedAfter(got, STREAMS, untilE));
    expect(stream.stats()).toMatchObject({ shutdownNotices: 3, reconnects: 0, rotations: 3 });
  });

  it('paces SUBSCRIBE/UNSUBSCRIBE under the inbound limit, pongs included', async () => {
    const { stream, got } = client();
    stream.add(['btcusdt@kline_1m']);
    await waitFor(() => got.length > 0, 'first frame');
    const conn = fake.connectionStats().length;
    for (let i = 0; i < 40; i++) {
      if (i % 3 === 2) stream.remove([`sym${i - 1}usdt@kline_1m`]);
      else stream.add([`sym${i}usdt@kline_1m`]);
      await sleep(60);
    }
    const wanted = [...stream.streams].sort();
    await waitFor(() => JSON.stringify([...fake.connectionStats()[conn - 1]!.streams].sort()) === JSON.stringify(wanted), 'subscriptions converge', 8_000);
    const stats = fake.connectionStats()[conn - 1]!;
    // Without pacing, 40 changes 60 ms apart plus pongs would be ~19 msgs/s; with it, more
    // requests than one second's budget (7 with 3 slots kept for pongs) were spread out.
    expect(stats.requests).toBeGreaterThanOrEqual(10);
    expect(stats.maxInboundPerSecond).toBeLessThanOrEqual(10);
    expect(stats.violations).toBe(0);
  });
});
