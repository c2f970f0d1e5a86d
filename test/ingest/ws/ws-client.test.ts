import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acceptFor, checkUpgradeResponse } from '../../../src/ingest/ws/handshake.js';
import { WsClient, type WsClientHandlers, type WsClientOptions } from '../../../src/ingest/ws/ws-client.js';
import { FakeBinance } from '../../../tools/fake-binance/fake-binance.js';
import { setLogLevel } from '../../../src/shared/log.js';
import { waitFor } from '../../support/wait.js';
import { RawWsServer, selfSignedCert, type RawPeer } from './raw-ws-server.js';
import { serverFrame } from './ws-frames.js';

/**
 * The ingest WebSocket client over real sockets: the fake exchange (Binance's framing and
 * behaviour), a TLS server with a self-signed certificate, and a raw server that sends exactly
 * the frames a test needs (fragments, pings, bad frames) and shows what the client sent back.
 */

interface Seen {
  opened: boolean;
  texts: string[];
  pings: number;
  binaries: number;
  closed: [number, string] | undefined;
}

const clients: WsClient[] = [];
const servers: RawWsServer[] = [];

function connect(url: string, options: WsClientOptions = {}, extra: Partial<WsClientHandlers> = {}): { client: WsClient; seen: Seen } {
  const seen: Seen = { opened: false, texts: [], pings: 0, binaries: 0, closed: undefined };
  const client = new WsClient(
    url,
    {
      open: () => (seen.opened = true),
      text: (m) => {
        const text = m.text();
        if (text !== undefined) seen.texts.push(text);
      },
      binary: () => seen.binaries++,
      ping: () => seen.pings++,
      close: (code, reason) => {
        expect(seen.closed, 'close reported once').toBeUndefined();
        seen.closed = [code, reason];
      },
      ...extra,
    },
    options,
  );
  clients.push(client);
  return { client, seen };
}

async function rawServer(options: Parameters<typeof RawWsServer.start>[0] = {}): Promise<RawWsServer> {
  const server = await RawWsServer.start(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy('test over');
  for (const s of servers.splice(0)) await s.close();
});

describe('opening handshake', () => {
  it('computes Sec-WebSocket-Accept as RFC 6455 §1.3 shows', () => {
    expect(acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it.each([
    ['HTTP/1.1 404 Not Found', 'unexpected server response: 404'],
    ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong', 'wrong Sec-WebSocket-Accept'],
    ['HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: A', 'missing Upgrade: websocket'],
    [
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: A\r\nSec-WebSocket-Extensions: permessage-deflate',
      'an extension we did not ask for',
    ],
  ])('refuses the answer %#', (head, reason) => {
    expect(checkUpgradeResponse(head.replace('Accept: A', `Accept: ${acceptFor('k')}`), acceptFor('k'))).toMatchObject({ ok: false, reason });
  });

  it('reports a refused upgrade as a close (1006) with the reason, never as open', async () => {
    const server = await rawServer({ answer: () => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0' });
    const { seen } = connect(server.url('/stream'));
    await waitFor(() => seen.closed !== undefined, 'close');
    expect(seen).toMatchObject({ opened: false, closed: [1006, 'unexpected server response: 403'] });
  });
});

describe('against the fake exchange', () => {
  let fake: FakeBinance;
  beforeAll(async () => {
    setLogLevel('silent');
    fake = await FakeBinance.start({ tickMs: 20, pingIntervalMs: 50 });
  });
  afterAll(async () => {
    await fake.close();
    setLogLevel('info');
  });

  it('receives kline frames, answers pings with pongs, and its masked SUBSCRIBE is answered', async () => {
    const { client, seen } = connect(`${fake.wsUrl('futures')}/stream?streams=btcusdt@kline_1m`);
    await waitFor(() => seen.texts.length >= 3 && seen.pings >= 2, 'frames and pings');
    expect(JSON.parse(seen.texts[0]!)).toMatchObject({ stream: 'btcusdt@kline_1m', data: { e: 'kline' } });
    client.send(JSON.stringify({ method: 'SUBSCRIBE', params: ['ethusdt@kline_1m'], id: 7 }));
    // The fake fails unmasked client frames (ws-peer.ts): an answer means the frame was masked.
    await waitFor(() => seen.texts.some((t) => t === '{"result":null,"id":7}'), 'the SUBSCRIBE reply');
    await waitFor(() => fake.connectionStats().at(-1)!.pongs >= 2, 'the fake counted our pongs');
  });

  it('closes with the handshake: our close frame, the server echoes it, the server ends TCP', async () => {
    const { client, seen } = connect(`${fake.wsUrl('futures')}/stream?streams=btcusdt@kline_1m`);
    await waitFor(() => seen.texts.length > 0, 'a frame');
    client.close(1000, 'client stop');
    await waitFor(() => seen.closed !== undefined, 'close');
    expect(seen.closed).toEqual([1000, 'client stop']);
    await waitFor(() => fake.connectionStats().every((c) => !c.open), 'the fake saw the connection end');
  });

  it('answers a server-initiated close and reports the server code and reason', async () => {
    const { seen } = connect(`${fake.wsUrl('futures')}/stream?streams=btcusdt@kline_1m`);
    await waitFor(() => seen.texts.length > 0, 'a frame');
    for (const c of fake.connections) c.peer.close(1001, 'maintenance');
    await waitFor(() => seen.closed !== undefined, 'close');
    expect(seen.closed).toEqual([1001, 'maintenance']);
  });
});

describe('Binance framing rules, from a raw server', () => {
  async function opened(options: WsClientOptions = {}): Promise<{ peer: RawPeer; seen: Seen; client: WsClient }> {
    const server = await rawServer();
    const { client, seen } = connect(server.url('/stream?streams=a'), options);
    const peer = await server.nextPeer();
    await waitFor(() => seen.opened, 'open');
    return { peer, seen, client };
  }

  it('assembles fragmented messages split over TCP writes, answering a ping between fragments with its payload', async () => {
    const { peer, seen } = await opened();
    peer.socket.write(serverFrame(0x1, '{"stream":', { fin: false }));
    peer.socket.write(Buffer.concat([serverFrame(0x9, 'ping-1'), serverFrame(0x0, '"a","data"', { fin: false })]));
    peer.socket.write(serverFrame(0x0, ':{}}'));
    await waitFor(() => seen.texts.length === 1, 'the message');
    expect(seen.texts).toEqual(['{"stream":"a","data":{}}']);
    const [pong] = await peer.framesAtLeast(1);
    expect(pong).toMatchObject({ opcode: 0xa, masked: true });
    expect(pong!.payload.toString()).toBe('ping-1');
    expect(seen.pings).toBe(1);
  });

  it('masks every client frame with its own key', async () => {
    const { peer, client } = await opened();
    client.send('hello');
    client.send('hello');
    const frames = await peer.framesAtLeast(2);
    expect(frames.map((f) => [f.opcode, f.masked, f.payload.toString()])).toEqual([
      [1, true, 'hello'],
      [1, true, 'hello'],
    ]);
  });

  it.each<[string, Buffer, number]>([
    ['a masked server frame', serverFrame(0x1, 'x', { mask: true }), 1002],
    ['an oversized message', serverFrame(0x1, 'x'.repeat(2_000)), 1009],
    ['text that is not UTF-8', serverFrame(0x1, Buffer.from([0x7b, 0xff, 0x7d])), 1007],
  ])('fails the connection on %s: its close frame with the code, TCP ended, the code reported', async (_name, bytes, code) => {
    const { peer, seen } = await opened({ maxMessageBytes: 1_000 });
    peer.socket.write(Buffer.concat([bytes, serverFrame(0x1, 'after')]));
    const [close] = await peer.framesAtLeast(1);
    expect(close!.opcode).toBe(0x8);
    expect(close!.payload.readUInt16BE(0)).toBe(code);
    await peer.ended;
    peer.socket.end();
    await waitFor(() => seen.closed !== undefined, 'close reported');
    expect(seen.closed![0]).toBe(code);
    expect(seen.closed![1]).toMatch(/^protocol error: /);
    expect(seen.texts).toEqual([]);
  });

  it('counts binary messages apart and cuts a peer that never closes TCP', async () => {
    const { peer, seen, client } = await opened();
    peer.socket.write(serverFrame(0x2, Buffer.from([1, 2, 3])));
    await waitFor(() => seen.binaries === 1, 'binary');
    client.close(1000, 'bye');
    const [close] = await peer.framesAtLeast(1);
    expect(close!.opcode).toBe(0x8);
    // The server never answers: destroy ends it at once.
    client.destroy('close timed out');
    await waitFor(() => seen.closed !== undefined, 'close reported');
    expect(seen.closed).toEqual([1000, 'bye']);
    await peer.ended;
  });
});

const cert = selfSignedCert();
describe.skipIf(cert === null)('over TLS (self-signed certificate; skipped without openssl)', () => {
  it('connects to wss:// when the certificate is trusted, with SNI for the host name', async () => {
    const server = await rawServer({ tls: cert! });
    const { seen } = connect(server.url('/stream', 'localhost'), { tls: { ca: cert!.cert } });
    const peer = await server.nextPeer();
    await waitFor(() => seen.opened, 'open');
    peer.socket.write(Buffer.concat([serverFrame(0x1, 'over tls'), serverFrame(0x9, 'p')]));
    await waitFor(() => seen.texts.length === 1, 'text');
    expect(seen.texts).toEqual(['over tls']);
    const [pong] = await peer.framesAtLeast(1);
    expect(pong).toMatchObject({ opcode: 0xa, masked: true });
  });

  it('refuses a certificate it cannot verify (close 1006, the TLS reason)', async () => {
    const server = await rawServer({ tls: cert! });
    const { seen } = connect(server.url('/stream', 'localhost'));
    await waitFor(() => seen.closed !== undefined, 'close');
    expect(seen.opened).toBe(false);
    expect(seen.closed![0]).toBe(1006);
    expect(seen.closed![1]).toMatch(/self[- ]signed|certificate/i);
  });
});
