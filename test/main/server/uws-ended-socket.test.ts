import { afterEach, describe, expect, it } from 'vitest';
import type { Transport, WsPeer } from '../../../src/main/server/transport.js';
import { endedSocketHeldMs } from '../../../src/main/server/uws-transport.js';
import { startOneRouteTransport } from '../../support/one-route-transport.js';
import { StalledWsClient } from '../../support/stalled-ws-client.js';

/**
 * What a closed socket still costs (OutboundBudget.holdClosed relies on it): uWS calls the close
 * handler inside end(), but the socket's backlog is still sent, then the close frame, so until
 * that is read (or the end() timeout passes) the bytes stay in memory. The transport says how
 * long in `heldForMs`. Real uWS server, raw TCP WebSocket client that stops reading.
 */
describe('uWS: a socket ended with a backlog', () => {
  let transport: Transport | undefined;
  const clients: StalledWsClient[] = [];
  afterEach(() => {
    clients.splice(0).forEach((c) => c.destroy());
    transport?.close();
  });

  async function serve(idleTimeoutS: number) {
    const closes: Array<{ code: number; heldForMs: number; bufferedAtClose: number }> = [];
    const started = await startOneRouteTransport({
      path: '/ws',
      maxBackpressureBytes: 64 * 1024 * 1024,
      idleTimeoutS,
      handler: (peer) => ({
        onMessage: () => undefined,
        onDrain: () => undefined,
        onClose: (code, _reason, heldForMs) => closes.push({ code, heldForMs, bufferedAtClose: peer.bufferedAmount() }),
      }),
    });
    transport = started.transport;
    const client = await StalledWsClient.connect(transport.port, '/ws');
    clients.push(client);
    return { client, peer: await started.peer, closes };
  }

  /** Frames until the library buffers (the kernel's buffers are full); returns the frames sent. */
  function fillUntilBuffered(peer: WsPeer, frame: string): number {
    let sent = 0;
    while (peer.bufferedAmount() < 1024 * 1024 && sent < 10_000) {
      peer.send(frame, false);
      sent++;
    }
    expect(peer.bufferedAmount()).toBeGreaterThanOrEqual(1024 * 1024);
    return sent;
  }

  it('end(): the close handler runs at once with heldForMs > 0, and the backlog is still delivered before the close frame', async () => {
    const { client, peer, closes } = await serve(120);
    client.stall();
    const frame = 'x'.repeat(60_000);
    const sent = fillUntilBuffered(peer, frame);
    peer.end(1008, 'slow_consumer');
    expect(closes).toEqual([{ code: 1008, heldForMs: endedSocketHeldMs(120), bufferedAtClose: 0 }]);
    expect(peer.closed).toBe(true);
    // The bytes outlived the close handler: the reader gets every frame, then the close frame.
    expect(await client.closeCode()).toBe(1008);
    expect(client.texts.length).toBe(sent);
    expect(client.texts.every((t) => t === frame)).toBe(true);
  });

  it('a client that vanishes: the close handler gets 1006 and heldForMs 0 (its buffer is freed with it)', async () => {
    const { client, peer, closes } = await serve(120);
    client.stall();
    fillUntilBuffered(peer, 'y'.repeat(60_000));
    client.destroy();
    const deadline = Date.now() + 5000;
    while (closes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(closes.map(({ code, heldForMs }) => ({ code, heldForMs }))).toEqual([{ code: 1006, heldForMs: 0 }]);
  });

  it("the hold follows uWS's end() timeout: a 4, 8 or 16 s margin by the idle timeout, plus its 4 s timer tick", () => {
    // WebSocketContextData::calculateIdleTimeoutCompnents: the margin doubles from 4 while
    // idleTimeout − 2·margin ≥ 2·margin, up to 16.
    expect([0, 15, 16, 31, 32, 63, 64, 120, 960].map(endedSocketHeldMs)).toEqual([8, 8, 12, 12, 20, 20, 20, 20, 20].map((s) => s * 1000));
  });
});
