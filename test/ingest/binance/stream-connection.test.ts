import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { systemClock } from '../../../src/shared/clock.js';
import { StreamConnection } from '../../../src/ingest/binance/stream-connection.js';
import { waitFor } from '../../support/wait.js';

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
