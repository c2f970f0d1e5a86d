import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { acceptFor } from '../../../src/ingest/ws/handshake.js';
import { readClientFrames, type ClientFrame } from './ws-frames.js';

/**
 * A WebSocket server that does exactly what a test tells it, frame by frame, over a real socket
 * (plain or TLS): it completes the handshake (or answers something else), then lets the test write
 * raw bytes and read the client's frames, unmasked, with their mask bit.
 */
export interface RawPeer {
  readonly socket: Duplex;
  readonly frames: ClientFrame[];
  /** Resolves once the client has sent `n` frames in all. */
  framesAtLeast(n: number): Promise<ClientFrame[]>;
  /** Resolves when the client has closed its side of the TCP connection (FIN or reset). */
  readonly ended: Promise<void>;
}

export interface RawServerOptions {
  /** Answer instead of the 101 (status line and headers, no blank line). */
  readonly answer?: (key: string) => string;
  readonly tls?: { key: string; cert: string };
}

export class RawWsServer {
  readonly peers: RawPeer[] = [];
  private readonly waiters: Array<(p: RawPeer) => void> = [];

  private constructor(
    private readonly server: Server,
    readonly secure: boolean,
  ) {}

  static async start(options: RawServerOptions = {}): Promise<RawWsServer> {
    const server = options.tls ? createTlsServer(options.tls) : createServer();
    const raw = new RawWsServer(server, options.tls !== undefined);
    server.on('upgrade', (req, socket) => {
      const key = String(req.headers['sec-websocket-key']);
      const head =
        options.answer?.(key) ?? `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}`;
      socket.write(`${head}\r\n\r\n`);
      raw.accept(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return raw;
  }

  url(path = '/', host = '127.0.0.1'): string {
    return `${this.secure ? 'wss' : 'ws'}://${host}:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The next connection no test has taken yet (waits for it). */
  nextPeer(): Promise<RawPeer> {
    const ready = this.unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private readonly unclaimed: RawPeer[] = [];

  close(): Promise<void> {
    for (const p of this.peers) p.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Duplex): void {
    const frames: ClientFrame[] = [];
    const watchers: Array<() => void> = [];
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { frames: got, rest } = readClientFrames(Buffer.concat([pending, chunk]));
      pending = Buffer.from(rest);
      frames.push(...got);
      for (const w of watchers.splice(0)) w();
    });
    socket.on('error', () => {});
    // The http server keeps upgraded sockets half-open: the client's FIN shows as 'end'.
    const ended = new Promise<void>((resolve) => {
      socket.once('end', () => resolve());
      socket.once('close', () => resolve());
    });
    const peer: RawPeer = {
      socket,
      frames,
      ended,
      framesAtLeast: (n) =>
        new Promise((resolve) => {
          const check = () => (frames.length >= n ? resolve(frames) : watchers.push(check));
          check();
        }),
    };
    this.peers.push(peer);
    const waiter = this.waiters.shift();
    if (waiter) waiter(peer);
    else this.unclaimed.push(peer);
  }
}

/** A self-signed certificate for localhost / 127.0.0.1 (openssl), or null when openssl is absent. */
export function selfSignedCert(): { key: string; cert: string } | null {
  const dir = mkdtempSync(join(tmpdir(), 'ws-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
