import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A WebSocket client that stops reading: it performs the handshake over a raw TCP socket, sends
 * text frames, then pauses the socket so the server's buffer fills up. The kernel receive buffer
 * is made small so backpressure reaches the server quickly. `closeCode()` reads what the server
 * finally sent (after resuming). Text frames read so far are kept in `texts` (a reader that
 * stalls for a while, then resumes: `stall()`, `resume()`).
 */
export class StalledWsClient {
  /** Bytes not yet parsed into whole frames (at most one partial frame once the handshake is done). */
  private received = Buffer.alloc(0);
  private handshakeDone = false;
  /** Code of the server's close frame, once it arrived; -1 before. */
  private closeFrameCode = -1;
  /** Bytes read from the socket so far (handshake included). */
  bytesReceived = 0;
  /** Text frames read so far, in order. */
  readonly texts: string[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.bytesReceived += chunk.length;
      this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
      // Frames are consumed as they complete, so megabytes of backlog cost linear time, not quadratic.
      if (this.handshakeDone) this.consumeFrames();
    });
  }

  static async connect(port: number, path = '/ws/market'): Promise<StalledWsClient> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const client = new StalledWsClient(socket);
    await client.waitFor(() => client.received.includes('\r\n\r\n'));
    client.received = client.received.subarray(client.received.indexOf('\r\n\r\n') + 4);
    client.handshakeDone = true;
    client.consumeFrames();
    return client;
  }

  sendText(text: string): void {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    const header =
      payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  /** Stop reading: the server sees a consumer that does not keep up. */
  stall(): void {
    this.socket.pause();
  }

  /** Read again (after `stall`). */
  resume(): void {
    this.socket.resume();
  }

  /** Resume reading until the server's close frame arrives; returns its code. */
  async closeCode(timeoutMs = 10_000): Promise<number> {
    this.socket.resume();
    await this.waitFor(() => this.closeFrameCode >= 0 || this.socket.destroyed, timeoutMs);
    return this.closeFrameCode;
  }

  private consumeFrames(): void {
    if (this.closeFrameCode >= 0) return;
    const { closeCode, consumed } = scanFrames(this.received, this.texts);
    this.closeFrameCode = closeCode;
    this.received = this.received.subarray(consumed);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private waitFor(done: () => boolean, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const tick = () => {
        if (done()) resolve();
        else if (Date.now() - started > timeoutMs) reject(new Error('timed out'));
        else setTimeout(tick, 10);
      };
      tick();
    });
  }
}

/**
 * Walks the complete server frames (unmasked) at the start of `buf`: the first close frame's code
 * (-1 if none) and how many bytes the complete frames took.
 */
function scanFrames(buf: Buffer, texts: string[]): { closeCode: number; consumed: number } {
  let offset = 0;
  while (offset + 2 <= buf.length) {
    const opcode = buf[offset]! & 0x0f;
    let len = buf[offset + 1]! & 0x7f;
    let header = 2;
    if (len === 126) {
      if (offset + 4 > buf.length) break;
      len = buf.readUInt16BE(offset + 2);
      header = 4;
    } else if (len === 127) {
      if (offset + 10 > buf.length) break;
      len = Number(buf.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (offset + header + len > buf.length) break;
    if (opcode === 0x8) return { closeCode: len >= 2 ? buf.readUInt16BE(offset + header) : 1005, consumed: offset + header + len };
    if (opcode === 0x1) texts.push(buf.toString('utf8', offset + header, offset + header + len));
    offset += header + len;
  }
  return { closeCode: -1, consumed: offset };
}
