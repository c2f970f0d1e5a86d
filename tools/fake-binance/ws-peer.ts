import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Server side of RFC 6455 for the fake Binance: handshake, framing of text/binary/ping/pong/close,
 * no extensions (permessage-deflate offered by undici is simply not accepted, §9.1). Written here
 * rather than taken from `ws` so the fake has no extra dependency and can misbehave at frame level:
 * stop sending without closing, cut the TCP socket, count every inbound frame.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Largest client message accepted; Binance requests are tiny, 1 MiB is generous. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

const OP_CONT = 0x0,
  OP_TEXT = 0x1,
  OP_BINARY = 0x2,
  OP_CLOSE = 0x8,
  OP_PING = 0x9,
  OP_PONG = 0xa;

export interface PeerHandlers {
  onText(text: string): void;
  /** Any inbound frame (data or control): the fake counts them against Binance's inbound limit. */
  onFrame?(opcode: 'text' | 'binary' | 'ping' | 'pong' | 'close'): void;
  onClose(code: number): void;
}

/** Completes the upgrade; returns the peer, or undefined after answering 400. */
/** One unmasked server frame (RFC 6455 §5.2). */
export function encodeFrame(opcode: number, payload: Buffer | string): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  if (typeof payload === 'string') frame.write(payload, headerLength);
  else payload.copy(frame, headerLength);
  return frame;
}

export const OPCODE_TEXT = 0x1;

export function acceptUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, handlers: PeerHandlers): WsPeer | undefined {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return undefined;
  }
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const peer = new WsPeer(socket, handlers);
  if (head.length > 0) peer.feed(head);
  return peer;
}

export class WsPeer {
  /** While true, text/binary frames to the client are dropped (a stalled server that keeps the socket). */
  silent = false;
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;
  private closed = false;
  private closing = false;

  constructor(
    readonly socket: Duplex,
    private readonly handlers: PeerHandlers,
  ) {
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    socket.on('close', () => this.finish(1006));
    socket.on('error', () => socket.destroy());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a text frame; returns false when the socket buffer is full (wait for 'drain'). */
  sendText(text: string): boolean {
    if (this.closed || this.closing || this.silent) return true;
    return this.write(OP_TEXT, text);
  }

  ping(payload = ''): void {
    if (!this.closed) this.write(OP_PING, Buffer.from(payload));
  }

  /** Close handshake: send a close frame, end the socket once the client answers (or soon anyway). */
  close(code = 1000, reason = ''): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this.write(OP_CLOSE, body);
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Cuts the TCP connection without a close frame (what a network failure looks like). */
  destroy(): void {
    this.socket.destroy();
  }

  feed(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (!this.closed) {
      const consumed = this.readFrame();
      if (consumed === 0) break;
      this.buffer = this.buffer.subarray(consumed);
    }
  }

  /** Parses one frame from the buffer; returns bytes consumed (0 = incomplete). */
  private readFrame(): number {
    const b = this.buffer;
    if (b.length < 2) return 0;
    const fin = (b[0]! & 0x80) !== 0;
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return 0;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return 0;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    // Clients must mask (RFC 6455 §5.1); RSV bits need an extension we never agreed to.
    if (!masked || (b[0]! & 0x70) !== 0 || length > MAX_MESSAGE_BYTES) {
      this.protocolError();
      return 0;
    }
    if (b.length < offset + 4 + length) return 0;
    const mask = b.subarray(offset, offset + 4);
    const payload = Buffer.from(b.subarray(offset + 4, offset + 4 + length));
    for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
    this.onFrame(fin, opcode, payload);
    return offset + 4 + length;
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) {
      this.handlers.onFrame?.('ping');
      this.write(OP_PONG, payload);
    } else if (opcode === OP_PONG) {
      this.handlers.onFrame?.('pong');
    } else if (opcode === OP_CLOSE) {
      this.handlers.onFrame?.('close');
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (!this.closing) this.write(OP_CLOSE, payload.subarray(0, 2));
      this.socket.end();
      this.finish(code);
    } else if (opcode === OP_TEXT || opcode === OP_BINARY || opcode === OP_CONT) {
      if (opcode !== OP_CONT) this.fragmentOpcode = opcode;
      this.fragments.push(payload);
      if (!fin) return;
      const message = this.fragments.length === 1 ? this.fragments[0]! : Buffer.concat(this.fragments);
      this.fragments = [];
      this.handlers.onFrame?.(this.fragmentOpcode === OP_TEXT ? 'text' : 'binary');
      if (this.fragmentOpcode === OP_TEXT) this.handlers.onText(message.toString('utf8'));
    } else {
      this.protocolError();
    }
  }

  /** One unmasked frame (servers never mask, §5.1), header and payload in one buffer and one write. */
  private write(opcode: number, payload: Buffer | string): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    return this.socket.write(encodeFrame(opcode, payload));
  }

  /** Writes bytes that are already WebSocket frames (load tests: pre-encoded replays). */
  writeEncoded(frames: Buffer): boolean {
    if (this.closed || this.closing || this.silent || this.socket.destroyed || !this.socket.writable) return true;
    return this.socket.write(frames);
  }

  private protocolError(): void {
    this.close(1002, 'protocol error');
    this.finish(1002);
  }

  private finish(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose(code);
  }
}
