import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { systemClock } from '../../../src/shared/clock.js';
import { StreamConnection } from '../../../src/ingest/binance/stream-connection.js';
import { waitFor } from '../../support/wait.js';
import type { Candle } from '../../../src/domain/candle.js';
import { OPCODE } from '../../../src/ingest/ws/frame-reader.js';
import { RawWsServer } from '../ws/raw-ws-server.js';
import { serverFrame } from '../ws/ws-frames.js';

let fake: FakeBinance;
beforeAll(async () => {
  fake = await FakeBinance.start({ tickMs: 50 });
});
afterAll(() => fake.close());

function open(onReady: () => void, onClosed: (code: number, reason: string) => void): StreamConnection {
  return new StreamConnection(
    { id: 1, baseUrl: fake.wsUrl('futures'), initialStreams: ['btcusdt@kline_1m'], inboundMsgsPerSecond: 10, serverPingIntervalMs: 20_000, clock: systemClock },
    { onKline: () => {}, onReady, onShutdownNotice: () => {}, onClosed: (_c, code, reason) => onClosed(code, reason) },
  );
}

describe('StreamConnection', () => {
  it('cuts a peer that never answers the close handshake (half-open TCP) after the grace period', async () => {
    let ready = false;
    let closed: [number, string] | undefined;
    const conn = open(
      () => (ready = true),
      (code, reason) => (closed = [code, reason]),
    );
    await waitFor(() => ready, 'ready');
    // The peer stops reading and sending: it will never see our close frame.
    for (const c of fake.connections) {
      c.peer.silent = true;
      c.peer.socket.pause();
    }
    const started = Date.now();
    conn.close('test');
    await waitFor(() => closed !== undefined, 'close', 5_000);
    expect(closed).toEqual([1006, 'test (close timed out)']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    // Once the server reads again it finds the TCP connection closed: no socket leaked.
    for (const c of fake.connections) c.peer.socket.resume();
    await waitFor(() => fake.connections.size === 0, 'the server to see the socket gone');
  });

  it('reports ready only once subscriptions are confirmed and a kline arrived', async () => {
    let ready = 0;
    const conn = open(
      () => ready++,
      () => {},
    );
    await waitFor(() => ready === 1, 'ready');
    conn.want(['btcusdt@kline_1m', 'ethusdt@kline_1m']);
    await waitFor(() => conn.subscriptions.settled(), 'SUBSCRIBE acknowledged');
    expect([...conn.subscriptions.active].sort()).toEqual(['btcusdt@kline_1m', 'ethusdt@kline_1m']);
    expect(ready).toBe(1);
    conn.close();
  });
});

describe('StreamConnection frame paths', () => {
  let raw: RawWsServer;
  beforeAll(async () => {
    raw = await RawWsServer.start();
  });
  afterAll(() => raw.close());

  const kline = (symbol: string, t: number, closed: boolean) => ({
    stream: `${symbol.toLowerCase()}@kline_1m`,
    data: {
      e: 'kline',
      E: t + 59_999,
      s: symbol,
      k: {
        t,
        T: t + 59_999,
        s: symbol,
        i: '1m',
        f: 1,
        L: 2,
        o: '1.5',
        c: '2.25',
        h: '3',
        l: '0.5',
        v: '10.125',
        n: 2,
        x: closed,
        q: '1',
        V: '1',
        Q: '1',
        B: '0',
      },
    },
  });

  it('delivers the same values from the byte scanner and the string fallback, with interned stream names', async () => {
    const got: Array<{ stream: string; candle: Candle; closed: boolean; E: number }> = [];
    const streams: string[] = [];
    const conn = new StreamConnection(
      { id: 2, baseUrl: raw.url('/market'), initialStreams: ['btcusdt@kline_1m'], inboundMsgsPerSecond: 10, serverPingIntervalMs: 20_000, clock: systemClock },
      {
        onKline: (f) => {
          streams.push(f.stream!);
          got.push({ stream: f.stream!, candle: f.candle(), closed: f.closed, E: f.eventTimeMs });
        },
        onReady: () => {},
        onShutdownNotice: () => {},
        onClosed: () => {},
      },
    );
    const peer = await raw.nextPeer();
    const compact = JSON.stringify(kline('BTCUSDT', 60_000, false));
    // Whitespace and a non-ASCII symbol are outside the scanner's template: the string parser takes them.
    const spaced = JSON.stringify(kline('BTCUSDT', 120_000, true), null, 1);
    const unicode = JSON.stringify(kline('币安USDT', 60_000, true));
    for (const text of [compact, spaced, unicode, compact]) peer.socket.write(serverFrame(OPCODE.text, text));
    await waitFor(() => got.length === 4, 'four klines');
    const candle = (t: number) => ({ candle_time: t, open: 1.5, high: 3, low: 0.5, close: 2.25, volume: 10.125 });
    expect(got).toEqual([
      { stream: 'btcusdt@kline_1m', candle: candle(60), closed: false, E: 119_999 },
      { stream: 'btcusdt@kline_1m', candle: candle(120), closed: true, E: 179_999 },
      { stream: '币安usdt@kline_1m', candle: candle(60), closed: true, E: 119_999 },
      { stream: 'btcusdt@kline_1m', candle: candle(60), closed: false, E: 119_999 },
    ]);
    expect(conn.klines).toBe(4);
    expect(conn.skipped).toBe(0);
    conn.destroy('test done');
  });

  it('delivers nothing once close() was called (a rotated-out socket)', async () => {
    let notices = 0;
    let klines = 0;
    const conn = new StreamConnection(
      { id: 3, baseUrl: raw.url('/market'), initialStreams: ['btcusdt@kline_1m'], inboundMsgsPerSecond: 10, serverPingIntervalMs: 20_000, clock: systemClock },
      { onKline: () => klines++, onReady: () => {}, onShutdownNotice: () => notices++, onClosed: () => {} },
    );
    const peer = await raw.nextPeer();
    peer.socket.write(serverFrame(OPCODE.text, JSON.stringify(kline('BTCUSDT', 60_000, false))));
    await waitFor(() => klines === 1, 'first kline');
    conn.close('rotated');
    await peer.framesAtLeast(1);
    peer.socket.write(serverFrame(OPCODE.text, JSON.stringify(kline('BTCUSDT', 120_000, false))));
    peer.socket.write(serverFrame(OPCODE.text, JSON.stringify({ e: 'serverShutdown', E: 1 })));
    peer.socket.write(serverFrame(OPCODE.close, Buffer.from([0x03, 0xe8])));
    peer.socket.end();
    await peer.ended;
    expect(klines).toBe(1);
    expect(notices).toBe(0);
  });
});
