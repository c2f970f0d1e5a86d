import type { Candle } from '../../src/domain/candle.js';
import type { Clock, ResponseLike, SocketLike, Transport } from '../../web/sync/transport.js';

/**
 * In-memory stand-ins for the browser APIs the page uses (fetch, WebSocket, timers). They replace
 * the browser, not our code: the sync algorithm under test runs unchanged.
 */

export interface FetchCall {
  url: string;
  /** Query parameters of the request, for asserting series_id / since / limit. */
  query: URLSearchParams;
  respond(status: number, body: unknown): void;
  fail(error: Error): void;
}

/** fetch(): every call is recorded; it answers at once through `handler`, or waits for the test. */
export class FakeFetch {
  readonly calls: FetchCall[] = [];
  handler: ((call: FetchCall) => void) | null = null;

  readonly fetch = (url: string): Promise<ResponseLike> =>
    new Promise((resolve, reject) => {
      const call: FetchCall = {
        url,
        query: new URL(url, 'http://page.test').searchParams,
        respond: (status, body) => resolve({ ok: status >= 200 && status < 300, status, json: async () => body }),
        fail: reject,
      };
      this.calls.push(call);
      this.handler?.(call);
    });

  /** Calls whose path is the candles route. */
  candleCalls(): FetchCall[] {
    return this.calls.filter((c) => c.url.startsWith('/api/market/candles?'));
  }
}

type Listener = (event: never) => void;

/** One browser WebSocket; the test plays the server with `accept`, `push`, `drop`. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: Array<Record<string, unknown>> = [];
  private readonly listeners = new Map<string, Listener[]>();

  constructor(readonly url: string) {}

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.emit('close', { code, reason });
  }

  /** Server side: the handshake completes. */
  accept(): void {
    this.readyState = 1;
    this.emit('open', {});
  }

  /** Server side: a text frame arrives. */
  push(frame: unknown): void {
    this.emit('message', { data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  /** Server side or network: the connection ends. */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.emit('close', { code, reason });
  }

  private emit(type: string, event: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) (listener as (e: unknown) => void)(event);
  }
}

/** Timers that fire only when the test advances time. */
export class FakeClock implements Clock {
  now = 0;
  private timers: Array<{ id: number; at: number; callback: () => void }> = [];
  private nextId = 1;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Delays (ms from now) of the timers still pending. */
  pending(): number[] {
    return this.timers.map((t) => t.at - this.now);
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.callback();
    }
    this.now = until;
  }
}

export interface FakeBrowser {
  transport: Transport;
  http: FakeFetch;
  sockets: FakeSocket[];
  clock: FakeClock;
  /** The most recently opened socket. */
  socket(): FakeSocket;
}

export function fakeBrowser(): FakeBrowser {
  const http = new FakeFetch();
  const sockets: FakeSocket[] = [];
  const clock = new FakeClock();
  return {
    http,
    sockets,
    clock,
    socket: () => {
      const last = sockets[sockets.length - 1];
      if (!last) throw new Error('no socket was opened');
      return last;
    },
    transport: {
      fetch: http.fetch,
      openSocket: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket;
      },
      clock,
      // No jitter: reconnect delays are exactly 500, 1000, 2000 … in tests.
      random: () => 0,
    },
  };
}

/** Lets pending promise callbacks (fetch → json → merge) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A candle at `time` whose prices are derived from `price`, so tests can tell versions apart. */
export function candle(time: number, price = 100, volume = 1): Candle {
  return { candle_time: time, open: price, high: price + 2, low: price - 2, close: price + 1, volume };
}

export function candlesAt(times: number[], price = 100): Candle[] {
  return times.map((t) => candle(t, price));
}
