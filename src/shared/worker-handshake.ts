import { toWire, type WireError } from './errors.js';

/**
 * The start-up handshake of every worker thread (main side: src/main/threads/worker-handle.ts):
 * the thread posts `ready` once its API is exposed, or `start_failed` with a coded error when it
 * cannot start (the writer cannot open its database). It reports instead of throwing: an uncaught
 * exception ends the thread before a message posted just before it is delivered, which lost the
 * writer's reason and left the gateway waiting forever (issue 15, defect 1).
 */
export type HandshakeMessage = { readonly t: 'ready' } | { readonly t: 'start_failed'; readonly error: WireError };

interface Poster {
  postMessage(msg: unknown): void;
}

export function reportReady(port: Poster): void {
  port.postMessage({ t: 'ready' } satisfies HandshakeMessage);
}

export function reportStartFailed(port: Poster, err: unknown): void {
  port.postMessage({ t: 'start_failed', error: toWire(err) } satisfies HandshakeMessage);
}

export function isHandshake(msg: unknown): msg is HandshakeMessage {
  const t = (msg as { t?: unknown } | null)?.t;
  return t === 'ready' || t === 'start_failed';
}
