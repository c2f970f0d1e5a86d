/**
 * The opening handshake of RFC 6455 §4.1 from the client's side: the upgrade request, and the
 * checks on the server's answer a client must make — status 101, `Upgrade: websocket`,
 * `Connection: Upgrade`, `Sec-WebSocket-Accept` = base64(SHA-1(key + GUID)), and no extension or
 * subprotocol we did not ask for (we ask for none, so frames never carry RSV bits). Pure apart
 * from the random key.
 */
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** An upgrade answer is a few hundred bytes; a server sending more headers than this is wrong. */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

export interface UpgradeRequest {
  readonly text: string;
  /** The value the server must answer in Sec-WebSocket-Accept. */
  readonly expectedAccept: string;
}

export function upgradeRequest(url: URL, headers: Readonly<Record<string, string>> = {}): UpgradeRequest {
  const key = randomBytes(16).toString('base64');
  const defaultPort = url.protocol === 'wss:' ? '443' : '80';
  const host = url.port && url.port !== defaultPort ? `${url.hostname}:${url.port}` : url.hostname;
  const lines = [
    `GET ${url.pathname || '/'}${url.search} HTTP/1.1`,
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return { text: `${lines.join('\r\n')}\r\n\r\n`, expectedAccept: acceptFor(key) };
}

export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** What the server answered: accepted, or why not (status line or header), for the close reason. */
export type UpgradeOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly status: number };

/** Checks the response head (status line and headers, without the blank line). */
export function checkUpgradeResponse(head: string, expectedAccept: string): UpgradeOutcome {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
  if (!status) return { ok: false, status: 0, reason: `not an HTTP/1.1 answer: ${(lines[0] ?? '').slice(0, 80)}` };
  const code = Number(status[1]);
  if (code !== 101) return { ok: false, status: code, reason: `unexpected server response: ${code}` };
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const fail = (reason: string): UpgradeOutcome => ({ ok: false, status: code, reason });
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return fail('missing Upgrade: websocket');
  if (
    !(headers.get('connection') ?? '')
      .toLowerCase()
      .split(',')
      .some((t) => t.trim() === 'upgrade')
  ) {
    return fail('missing Connection: Upgrade');
  }
  if (headers.get('sec-websocket-accept') !== expectedAccept) return fail('wrong Sec-WebSocket-Accept');
  if (headers.has('sec-websocket-extensions')) return fail('an extension we did not ask for');
  if (headers.has('sec-websocket-protocol')) return fail('a subprotocol we did not ask for');
  return { ok: true };
}
