/**
 * The browser APIs the sync algorithm uses, as the smallest structural types that the real
 * `fetch`, `WebSocket` and timers satisfy (web/app/browser-transport.ts proves it at compile time).
 * Node unit tests hand in in-memory fakes of these same APIs; nothing of ours is faked.
 */

export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  json(): Promise<unknown>;
}

export type FetchLike = (url: string) => Promise<ResponseLike>;

/** WebSocket readyState values (WHATWG): only OPEN matters to us. */
export const SOCKET_OPEN = 1;

export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

export type OpenSocket = (url: string) => SocketLike;

export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Transport {
  fetch: FetchLike;
  openSocket: OpenSocket;
  clock: Clock;
  /** In [0, 1); spreads reconnects of many pages after a server restart. */
  random: () => number;
}
