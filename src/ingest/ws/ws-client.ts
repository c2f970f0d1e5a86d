/**
 * The WebSocket client of the ingest path, and the only module that opens one (like the uWS seam:
 * swapping the client touches this folder only). A lean RFC 6455 client over `net` / `tls`
 * sockets, chosen by measurement over undici's WebSocket and `ws` (docs/benchmarks.md "Choosing
 * the WebSocket client"): it reads every socket chunk into one reused buffer (`onread`), hands
 * each text message on as a view of that buffer (no copy, no event object, no string), and lets
 * the consumer decide whether it needs a string at all.
 *
 * What it honours (frame-reader.ts has the framing rules): the opening handshake with its accept
 * check (handshake.ts); TLS with the system's CAs and SNI (`wss:`); client frames masked with a
 * fresh key each (§5.3); pings answered with a pong carrying the same payload (§5.5.2); the close
 * handshake both ways — a server close is echoed and the TCP close is left to the server (§7.1.1),
 * our close waits for the server's, and `destroy()` cuts the socket when a peer never answers.
 *
 * Text is handed on unvalidated: `InboundText.text()` validates UTF-8 (invalid fails the
 * connection, 1007); a consumer reading the bytes itself must accept only bytes it has checked
 * (the kline scanner takes ASCII only and sends anything else through `text()`).
 */
import { isUtf8 } from 'node:buffer';
import { randomFillSync } from 'node:crypto';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { checkUpgradeResponse, MAX_RESPONSE_HEAD_BYTES, upgradeRequest } from './handshake.js';
import { CLOSE_INVALID_PAYLOAD, FrameReader, OPCODE, type FrameSink } from './frame-reader.js';

/** One socket read at most: a 64 KiB chunk carries ~190 kline frames. */
const READ_BUFFER_BYTES = 64 * 1024;
/** Binance messages are well under 1 KiB; anything near this is not a kline stream. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** After the close frames crossed, how long the server may take to close TCP (§7.1.1) before we do. */
const CLOSE_TCP_WAIT_MS = 2_000;

/** A text message, valid only during the `text` callback (the bytes are reused afterwards). */
export interface InboundText {
  readonly bytes: Buffer;
  readonly start: number;
  readonly end: number;
  /** The message as a string; fails the connection (1007) and returns undefined when it is not UTF-8. */
  text(): string | undefined;
}

export interface WsClientHandlers {
  open(): void;
  text(message: InboundText): void;
  /** A binary message (Binance sends none). */
  binary?(): void;
  /** A ping arrived (the pong is already sent: Binance counts it against the inbound limit). */
  ping?(): void;
  /** After the frames of one socket read: per-read rather than per-frame bookkeeping. */
  readEnd?(): void;
  /** Exactly once, however the connection ended: the close code (1006 when none was exchanged). */
  close(code: number, reason: string): void;
}

export interface WsClientOptions {
  readonly maxMessageBytes?: number;
  /** Extra TLS settings (tests trust a self-signed certificate with `ca`). */
  readonly tls?: Pick<ConnectionOptions, 'ca' | 'rejectUnauthorized'>;
  readonly headers?: Readonly<Record<string, string>>;
}

type State = 'connecting' | 'open' | 'closing' | 'closed';

/** The one InboundText of a connection, pointed at each message in turn. */
class TextView implements InboundText {
  bytes: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;

  constructor(private readonly invalid: () => void) {}

  text(): string | undefined {
    const view = this.bytes.subarray(this.start, this.end);
    if (isUtf8(view)) return view.toString('utf8');
    this.invalid();
    return undefined;
  }
}

export class WsClient {
  private state: State = 'connecting';
  private readonly socket: Socket;
  private readonly reader: FrameReader;
  private readonly view: TextView;
  private readonly expectedAccept: string;
  private head: Buffer | null = Buffer.alloc(0);
  private closeCode = 1006;
  private closeReason = '';
  private sentClose = false;
  private reported = false;
  private tcpTimer: NodeJS.Timeout | undefined;

  constructor(
    url: string,
    private readonly handlers: WsClientHandlers,
    options: WsClientOptions = {},
  ) {
    const target = new URL(url);
    if (target.protocol !== 'ws:' && target.protocol !== 'wss:') throw new TypeError(`not a WebSocket URL: ${url}`);
    this.view = new TextView(() => this.fail(CLOSE_INVALID_PAYLOAD, 'text message is not UTF-8'));
    this.reader = new FrameReader(this.sink(), options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    const request = upgradeRequest(target, options.headers);
    this.expectedAccept = request.expectedAccept;
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const secure = target.protocol === 'wss:';
    const port = Number(target.port || (secure ? 443 : 80));
    const onread = { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (n: number, buf: Uint8Array) => this.onRead(buf as Buffer, n) };
    this.socket = secure
      ? // `onread` works on TLS sockets since Node 15 (nodejs/node#35753); the types omit it.
        tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ...options.tls, onread } as ConnectionOptions)
      : netConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.once(secure ? 'secureConnect' : 'connect', () => this.socket.write(request.text));
    this.socket.on('error', (err) => {
      if (this.closeReason === '') this.closeReason = err.message;
    });
    this.socket.once('close', () => this.report());
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Sends a text message (masked). False when the connection is not open. */
  send(text: string): boolean {
    if (this.state !== 'open') return false;
    this.socket.write(maskedFrame(OPCODE.text, Buffer.from(text)));
    return true;
  }

  /** Starts the close handshake; the server's close frame (or `destroy`) ends it. */
  close(code = 1000, reason = ''): void {
    if (this.state === 'connecting') return this.destroy(reason);
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.closeCode = code;
    this.closeReason = reason;
    this.sendClose(code, reason);
  }

  /** Cuts the socket at once (a peer that never answers, a stalled server). */
  destroy(reason = 'destroyed'): void {
    if (this.state === 'closed') return;
    if (this.closeReason === '') this.closeReason = reason;
    this.state = 'closed';
    this.reader.stop();
    this.socket.destroy();
  }

  private sink(): FrameSink {
    return {
      text: (buf, start, end) => {
        const view = this.view;
        view.bytes = buf;
        view.start = start;
        view.end = end;
        this.handlers.text(view);
      },
      binary: () => this.handlers.binary?.(),
      ping: (buf, start, end) => {
        if (this.state !== 'open') return;
        this.socket.write(maskedFrame(OPCODE.pong, buf.subarray(start, end)));
        this.handlers.ping?.();
      },
      pong: () => {},
      close: (code, reason) => this.onCloseFrame(code, reason),
      fail: (code, reason) => this.fail(code, reason),
    };
  }

  /** The server's close frame: echo it (once), then leave closing TCP to the server (§7.1.1). */
  private onCloseFrame(code: number, reason: string): void {
    if (this.state === 'closed') return;
    if (!this.sentClose) {
      // Our answer echoes the server's code; a close it started ends with its code and reason.
      this.closeCode = code;
      this.closeReason = reason;
    }
    this.sendClose(code, '');
    this.state = 'closing';
    this.waitForTcpClose();
  }

  /** Fails the connection (§7.1.7): our close frame with `code`, then the socket goes. */
  private fail(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.closeCode = code;
    this.closeReason = `protocol error: ${reason}`;
    this.reader.stop();
    this.sendClose(code, '');
    this.state = 'closing';
    this.socket.end();
    this.waitForTcpClose();
  }

  private onRead(buf: Buffer, n: number): boolean {
    if (this.state === 'connecting') {
      const rest = this.readHead(buf, n);
      if (rest < 0) return true;
      if (rest < n) this.reader.push(buf.subarray(rest, n));
    } else if (this.state !== 'closed') {
      this.reader.push(buf, n);
    }
    this.handlers.readEnd?.();
    return true;
  }

  /** Collects the upgrade answer; returns where frames start in `buf`, or -1 (not all in, or refused). */
  private readHead(buf: Buffer, n: number): number {
    const before = this.head!.length;
    this.head = Buffer.concat([this.head!, buf.subarray(0, n)]);
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.head.length > MAX_RESPONSE_HEAD_BYTES) this.destroy('upgrade answer too long');
      return -1;
    }
    const outcome = checkUpgradeResponse(this.head.toString('latin1', 0, end), this.expectedAccept);
    this.head = null;
    if (!outcome.ok) {
      this.destroy(outcome.reason);
      return -1;
    }
    this.state = 'open';
    this.handlers.open();
    return end + 4 - before;
  }

  private sendClose(code: number, reason: string): void {
    if (this.sentClose || this.socket.destroyed) return;
    this.sentClose = true;
    const body = code === 1005 ? Buffer.alloc(0) : Buffer.alloc(2 + Buffer.byteLength(reason));
    if (body.length > 0) {
      body.writeUInt16BE(code, 0);
      body.write(reason, 2);
    }
    this.socket.write(maskedFrame(OPCODE.close, body));
  }

  private waitForTcpClose(): void {
    if (this.tcpTimer !== undefined) return;
    this.tcpTimer = setTimeout(() => this.socket.destroy(), CLOSE_TCP_WAIT_MS);
    this.tcpTimer.unref();
  }

  private report(): void {
    if (this.tcpTimer !== undefined) clearTimeout(this.tcpTimer);
    this.state = 'closed';
    this.reader.stop();
    if (this.reported) return;
    this.reported = true;
    this.handlers.close(this.closeCode, this.closeReason);
  }
}

/** A client frame: FIN, opcode, the mask bit and a fresh masking key, the payload masked (§5.3). */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = frame.subarray(header, header + 4);
  randomFillSync(mask);
  for (let i = 0; i < length; i++) frame[header + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}
