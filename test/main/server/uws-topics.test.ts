import { WebSocket } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { Transport, WsPeer } from '../../../src/main/server/transport.js';
import { startOneRouteTransport } from '../../support/one-route-transport.js';

/**
 * The transport's native fan-out, as the hub relies on it (topic-group.ts): the order of
 * subscribe / publish / unsubscribe / send calls is the order on each socket's wire, with no frame
 * lost or doubled at a join or a leave. Real uWS server, real WebSocket client.
 */
describe('uWS topics through the transport', () => {
  let transport: Transport | undefined;
  afterEach(() => transport?.close());

  /** A transport whose one socket is handed to the test; the client records text frames. */
  async function connected(): Promise<{ peer: WsPeer; received: string[]; until(n: number): Promise<void> }> {
    const started = await startOneRouteTransport({ path: '/ws', maxBackpressureBytes: 1024 * 1024, idleTimeoutS: 0 });
    transport = started.transport;
    const received: string[] = [];
    const waiters: Array<() => void> = [];
    const ws = new WebSocket(`ws://127.0.0.1:${transport.port}/ws`);
    ws.addEventListener('message', (ev) => {
      received.push(String(ev.data));
      waiters.splice(0).forEach((w) => w());
    });
    const peer = await started.peer;
    const until = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (received.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out with ${received.join(',')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    };
    return { peer, received, until };
  }

  const text = (s: string) => new TextEncoder().encode(s);

  it('a frame published before subscribe is not delivered; one published after is', async () => {
    const { peer, received, until } = await connected();
    transport!.publish('t1', text('before'), false);
    peer.subscribe('t1');
    transport!.publish('t1', text('after'), false);
    peer.send('end', false);
    await until(2);
    expect(received).toEqual(['after', 'end']);
  });

  it('frames published before unsubscribe are delivered, then the direct sends, in call order', async () => {
    const { peer, received, until } = await connected();
    peer.send('direct-1', false);
    peer.subscribe('t1');
    transport!.publish('t1', text('pub-1'), false);
    transport!.publish('t1', text('pub-2'), false);
    peer.unsubscribe('t1');
    transport!.publish('t1', text('pub-after-leave'), false);
    peer.send('direct-2', false);
    peer.subscribe('t1');
    transport!.publish('t1', text('pub-3'), false);
    await until(5);
    // Let anything wrongly delivered late show up too.
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toEqual(['direct-1', 'pub-1', 'pub-2', 'direct-2', 'pub-3']);
  });

  it('a big published frame (>= 16 KiB, written at once) keeps the order with small ones', async () => {
    const { peer, received, until } = await connected();
    peer.subscribe('t1');
    const big = 'x'.repeat(40 * 1024);
    transport!.publish('t1', text('small-1'), false);
    transport!.publish('t1', text(big), false);
    transport!.publish('t1', text('small-2'), false);
    peer.send('direct', false);
    await until(4);
    expect(received.map((m) => (m.length > 100 ? `big:${m.length}` : m))).toEqual(['small-1', `big:${big.length}`, 'small-2', 'direct']);
  });
});
