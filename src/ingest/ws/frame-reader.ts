/**
 * The receiving half of RFC 6455 framing for a client, over bytes handed in by the socket: no I/O,
 * no timers, tested with hand-made frames. What a client must enforce is enforced here:
 *
 * - server frames are never masked (§5.1: a masked one fails the connection, 1002);
 * - RSV bits are 0 (we negotiate no extension, §5.2), opcodes are known (§5.2, 1002);
 * - control frames are at most 125 bytes and never fragmented (§5.5, 1002);
 * - a fragmented message is text/binary, then continuations, with control frames allowed in
 *   between (§5.4); a continuation without a start, or a new message inside one, is 1002;
 * - a message longer than `maxMessageBytes` fails the connection with 1009 (§7.4.1), checked
 *   from the header, before its bytes are buffered;
 * - a close frame's code is one a peer may send (§7.4) and its reason is UTF-8 (1002 / 1007).
 *
 * Hot path: a frame that lies whole inside the chunk is handed on as a view of the chunk (no copy,
 * no allocation); only a frame cut by a chunk boundary is copied, and only its own bytes, into a
 * grow-only buffer that is reused. Text payloads are handed on *unvalidated*: the consumer either
 * proves them ASCII while it reads them (the kline scanner does) or validates them (ws-client.ts
 * `InboundText.text()`), so no byte is validated twice.
 */
import { isUtf8 } from 'node:buffer';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close codes of RFC 6455 §7.4.1 we send when failing a connection. */
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_TOO_BIG = 1009;

/** Control frames carry at most 125 bytes (§5.5). */
const MAX_CONTROL_PAYLOAD = 125;
/** A frame header is at most 2 + 8 bytes (servers send no masking key). */
const MAX_HEADER_BYTES = 10;

export interface FrameSink {
  /** A whole text message: `buf[start, end)`, valid only during the call, not yet UTF-8-validated. */
  text(buf: Buffer, start: number, end: number): void;
  /** A whole binary message (Binance sends none; the client counts and skips them). */
  binary(buf: Buffer, start: number, end: number): void;
  ping(buf: Buffer, start: number, end: number): void;
  pong(buf: Buffer, start: number, end: number): void;
  /** The peer's close frame: its code (1005 when it carried none) and reason. */
  close(code: number, reason: string): void;
  /** The peer broke the protocol: fail the connection with `code` (§7.1.7). Nothing follows. */
  fail(code: number, reason: string): void;
}

export class FrameReader {
  /** Bytes of a frame cut by the end of a chunk (header included), and how many are in. */
  private partial: Buffer = Buffer.allocUnsafe(4096);
  private partialBytes = 0;
  /** Payloads of a fragmented message so far. */
  private message: Buffer = Buffer.allocUnsafe(0);
  private messageBytes = 0;
  /** Opcode of the fragmented message being assembled, or -1. */
  private messageOpcode = -1;
  /** After a failure, a close frame or stop(): the rest of the stream is ignored. */
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxMessageBytes: number,
  ) {}

  /** Ignores everything from here on (the client is closing or destroyed). */
  stop(): void {
    this.stopped = true;
  }

  /** Reads every frame in `chunk[0, length)`. Stops for good after a protocol failure. */
  push(chunk: Buffer, length = chunk.length): void {
    let p = 0;
    if (this.stopped) return;
    if (this.partialBytes > 0) {
      p = this.completePartial(chunk, length);
      if (p < 0) return;
    }
    while (p < length && !this.stopped) {
      const size = this.frameSize(chunk, p, length);
      if (size < 0) return;
      if (size === 0 || p + size > length) {
        // Cut by the chunk's end: keep its bytes for the next chunk.
        this.keepPartial(chunk, p, length);
        return;
      }
      this.frame(chunk, p, size);
      p += size;
    }
  }

  /**
   * Total size of the frame at `p` (header + payload), 0 when its header is not all in, -1 after
   * a failure. Validates the header (mask, RSV, opcode, control rules, size bound).
   */
  private frameSize(b: Buffer, p: number, end: number): number {
    if (end - p < 2) return 0;
    const b0 = b[p]!;
    const b1 = b[p + 1]!;
    if ((b0 & 0x70) !== 0) return this.fail(CLOSE_PROTOCOL_ERROR, 'RSV bits set without a negotiated extension');
    if ((b1 & 0x80) !== 0) return this.fail(CLOSE_PROTOCOL_ERROR, 'masked frame from the server');
    const opcode = b0 & 0x0f;
    const control = opcode >= 0x8;
    if (control ? opcode > OPCODE.pong : opcode > OPCODE.binary) return this.fail(CLOSE_PROTOCOL_ERROR, `unknown opcode ${opcode}`);
    let length = b1 & 0x7f;
    let header = 2;
    if (control && ((b0 & 0x80) === 0 || length > MAX_CONTROL_PAYLOAD)) return this.fail(CLOSE_PROTOCOL_ERROR, 'fragmented or oversized control frame');
    if (length === 126) {
      if (end - p < 4) return 0;
      length = (b[p + 2]! << 8) | b[p + 3]!;
      header = 4;
    } else if (length === 127) {
      if (end - p < 10) return 0;
      // The top 32 bits of a 64-bit length: anything there is far past any bound we allow.
      if (b.readUInt32BE(p + 2) !== 0) return this.fail(CLOSE_TOO_BIG, 'message too big');
      length = b.readUInt32BE(p + 6);
      header = 10;
    }
    if (!control && (opcode === OPCODE.continuation ? this.messageBytes : 0) + length > this.maxMessageBytes) {
      return this.fail(CLOSE_TOO_BIG, `message over ${this.maxMessageBytes} bytes`);
    }
    return header + length;
  }

  /** One whole frame at `b[p, p + size)`, header validated. */
  private frame(b: Buffer, p: number, size: number): void {
    const b0 = b[p]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const len7 = b[p + 1]! & 0x7f;
    const start = p + (len7 < 126 ? 2 : len7 === 126 ? 4 : 10);
    const end = p + size;
    switch (opcode) {
      case OPCODE.text:
      case OPCODE.binary:
        if (this.messageOpcode >= 0) return void this.fail(CLOSE_PROTOCOL_ERROR, 'new message inside a fragmented one');
        if (fin) {
          if (opcode === OPCODE.text) this.sink.text(b, start, end);
          else this.sink.binary(b, start, end);
          return;
        }
        this.messageOpcode = opcode;
        this.messageBytes = 0;
        this.append(b, start, end);
        return;
      case OPCODE.continuation:
        if (this.messageOpcode < 0) return void this.fail(CLOSE_PROTOCOL_ERROR, 'continuation without a message');
        this.append(b, start, end);
        if (!fin) return;
        {
          const kind = this.messageOpcode;
          this.messageOpcode = -1;
          if (kind === OPCODE.text) this.sink.text(this.message, 0, this.messageBytes);
          else this.sink.binary(this.message, 0, this.messageBytes);
        }
        return;
      case OPCODE.ping:
        this.sink.ping(b, start, end);
        return;
      case OPCODE.pong:
        this.sink.pong(b, start, end);
        return;
      case OPCODE.close:
        this.closeFrame(b, start, end);
        return;
    }
  }

  private closeFrame(b: Buffer, start: number, end: number): void {
    if (end - start === 0) return this.sink.close(1005, '');
    if (end - start === 1) return void this.fail(CLOSE_PROTOCOL_ERROR, 'close frame with a 1-byte body');
    const code = (b[start]! << 8) | b[start + 1]!;
    if (!closeCodeAllowed(code)) return void this.fail(CLOSE_PROTOCOL_ERROR, `close code ${code} may not be sent`);
    if (!isUtf8(b.subarray(start + 2, end))) return void this.fail(CLOSE_INVALID_PAYLOAD, 'close reason is not UTF-8');
    this.stopped = true; // nothing may follow a close frame (§5.5.1)
    this.sink.close(code, b.toString('utf8', start + 2, end));
  }

  private append(b: Buffer, start: number, end: number): void {
    const need = this.messageBytes + (end - start);
    if (need > this.message.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxMessageBytes, Math.max(need, this.message.length * 2, 1024)));
      this.message.copy(grown, 0, 0, this.messageBytes);
      this.message = grown;
    }
    b.copy(this.message, this.messageBytes, start, end);
    this.messageBytes = need;
  }

  private keepPartial(b: Buffer, p: number, end: number): void {
    this.ensurePartial(end - p);
    b.copy(this.partial, 0, p, end);
    this.partialBytes = end - p;
  }

  /**
   * Completes the frame kept from the last chunk with bytes of this one (only that frame's bytes
   * are copied); returns where the rest of the chunk starts, or -1 if the chunk ended first.
   */
  private completePartial(chunk: Buffer, length: number): number {
    let used = 0;
    // The header first: up to its longest form, then the size says how much more is needed.
    let size = this.frameSize(this.partial, 0, this.partialBytes);
    while (size === 0 && used < length) {
      const take = Math.min(MAX_HEADER_BYTES - this.partialBytes, length - used);
      if (take <= 0) break;
      this.ensurePartial(this.partialBytes + take);
      chunk.copy(this.partial, this.partialBytes, used, used + take);
      this.partialBytes += take;
      used += take;
      size = this.frameSize(this.partial, 0, this.partialBytes);
    }
    if (size < 0) return -1;
    if (size === 0) return -1; // still no whole header: everything was kept
    if (this.partialBytes > size) {
      // The header bytes taken above ran past a short frame: give the extra back to the chunk.
      used -= this.partialBytes - size;
      this.partialBytes = size;
    }
    const take = Math.min(size - this.partialBytes, length - used);
    this.ensurePartial(this.partialBytes + take);
    chunk.copy(this.partial, this.partialBytes, used, used + take);
    this.partialBytes += take;
    used += take;
    if (this.partialBytes < size) return -1;
    this.partialBytes = 0;
    this.frame(this.partial, 0, size);
    return this.stopped ? -1 : used;
  }

  private ensurePartial(bytes: number): void {
    if (bytes <= this.partial.length) return;
    const grown = Buffer.allocUnsafe(Math.max(bytes, this.partial.length * 2));
    this.partial.copy(grown, 0, 0, this.partialBytes);
    this.partial = grown;
  }

  private fail(code: number, reason: string): -1 {
    if (!this.stopped) {
      this.stopped = true;
      this.sink.fail(code, reason);
    }
    return -1;
  }
}

/** Codes a peer may put in a close frame (RFC 6455 §7.4.1, §7.4.2; 1005/1006/1015 are never sent). */
export function closeCodeAllowed(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}
