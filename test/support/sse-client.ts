import { connect, type Socket } from 'node:net';
import { waitFor } from './wait.js';

/** One Server-Sent Events message: a named event with data, or a comment line. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
  readonly id?: string;
  /** For comments (`: ping 123`): the text after the colon. */
  readonly comment?: string;
}

/**
 * A Server-Sent Events client on a raw TCP socket: one GET, the chunked body decoded, events
 * parsed as the EventSource spec does (field lines, blank line ends an event, `:` = comment).
 * Light enough to open a thousand of them from one test process.
 */
export class SseClient {
  status = 0;
  readonly headers = new Map<string, string>();
  readonly messages: SseMessage[] = [];
  ended = false;
  private raw = Buffer.alloc(0);
  private body = '';
  private headDone = false;
  private chunkLeft = 0;
  private crlfDue = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => (this.ended = true));
  }

  static open(port: number, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n${extra.join('')}\r\n`);
        resolve(new SseClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Named events (`top_markets`, `error`) received so far, in order. */
  events(name?: string): SseMessage[] {
    return this.messages.filter((m) => m.comment === undefined && (name === undefined || m.event === name));
  }

  comments(): string[] {
    return this.messages.filter((m) => m.comment !== undefined).map((m) => m.comment!);
  }

  async waitForEvents(count: number, name = 'top_markets', timeoutMs = 10_000): Promise<SseMessage[]> {
    await waitFor(() => this.events(name).length >= count, `${count} ${name} event(s)`, timeoutMs);
    return this.events(name);
  }

  /** Goes away without a word, as a closed browser tab does. */
  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.raw = Buffer.concat([this.raw, chunk]);
    if (!this.headDone) {
      const end = this.raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = this.raw.subarray(0, end).toString('latin1').split('\r\n');
      this.status = Number(statusLine!.split(' ')[1]);
      for (const line of lines) {
        const colon = line.indexOf(':');
        this.headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      this.raw = this.raw.subarray(end + 4);
      this.headDone = true;
    }
    if (this.headers.get('transfer-encoding') === 'chunked') this.dechunk();
    else {
      this.body += this.raw.toString('utf8');
      this.raw = Buffer.alloc(0);
    }
    this.parseEvents();
  }

  /**
   * Chunked transfer decoding that hands on a chunk's bytes as they arrive, as browsers do: uWS
   * sends a chunk's closing CRLF only with the next chunk, so waiting for it would hold every
   * event back until the next write.
   */
  private dechunk(): void {
    for (;;) {
      if (this.chunkLeft > 0) {
        const take = Math.min(this.chunkLeft, this.raw.length);
        if (take === 0) return;
        this.body += this.raw.subarray(0, take).toString('utf8');
        this.raw = this.raw.subarray(take);
        this.chunkLeft -= take;
        if (this.chunkLeft > 0) return;
        this.crlfDue = true;
      }
      if (this.crlfDue) {
        if (this.raw.length < 2) return;
        this.raw = this.raw.subarray(2);
        this.crlfDue = false;
      }
      const lineEnd = this.raw.indexOf('\r\n');
      if (lineEnd < 0) return;
      const size = parseInt(this.raw.subarray(0, lineEnd).toString('latin1'), 16);
      this.raw = this.raw.subarray(lineEnd + 2);
      if (size === 0) {
        this.ended = true;
        return;
      }
      this.chunkLeft = size;
    }
  }

  private parseEvents(): void {
    let end: number;
    while ((end = this.body.indexOf('\n\n')) >= 0) {
      const block = this.body.slice(0, end);
      this.body = this.body.slice(end + 2);
      const fields: Record<string, string[]> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.messages.push({ event: '', data: '', comment: line.slice(1).trim() });
          continue;
        }
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        (fields[name] ??= []).push(colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, ''));
      }
      if (fields.data) this.messages.push({ event: fields.event?.[0] ?? 'message', data: fields.data.join('\n'), id: fields.id?.[0] });
    }
  }
}
