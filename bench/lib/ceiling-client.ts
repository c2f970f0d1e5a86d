/**
 * The ingest ceiling: a bare WebSocket client + kline parser in its own process, one thread, no
 * other work, reading the same pre-encoded frames from the same fake exchange over loopback as
 * the gateway does (bench/ingest.ts measures end-to-end frames/s as a ratio of this). Also the
 * harness of `bench:ws-client`, which compares candidate clients on the same frames.
 *
 * IPC: {cmd:'connect', urls[], client} → {ok} once every socket is open
 *      {cmd:'expect', frames} → {frames, lastAtMs, busyMs, skipped} once that many klines parsed
 *      {cmd:'close'} → exits
 * `lastAtMs` is epoch ms (performance.timeOrigin-based) of the last kline; `busyMs` the event
 * loop's busy time meanwhile (ELU active), so busyMs / frames is the CPU cost of one frame.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { WebSocket as UndiciWebSocket } from 'undici';
import { parseKlineFrame } from '../../src/domain/binance-kline.js';
import { KlineByteScanner } from '../../src/domain/binance-kline-bytes.js';
import { KlineFrame } from '../../src/domain/kline-frame.js';
import { WsClient } from '../../src/ingest/ws/ws-client.js';

/** The candidates: undici's WebSocket, `ws` (its Buffer per message), our client (string or bytes). */
export const CLIENTS = ['undici', 'ws', 'ws-bytes', 'lean-string', 'lean'] as const;
export type ClientKind = (typeof CLIENTS)[number];

interface WsLike {
  on(event: 'open', fn: () => void): void;
  on(event: 'message', fn: (data: Buffer, isBinary: boolean) => void): void;
  close(): void;
}
/** `ws` as installed (a dependency of the uWS package; bench comparison only, no types shipped). */
const WsCtor = createRequire(import.meta.url)('ws') as new (url: string, options: object) => WsLike;

let expected = Infinity;
let klines = 0;
let skipped = 0;
let lastAtMs = 0;
let eluStart = performance.eventLoopUtilization();
let reply: (() => void) | null = null;
const closers: Array<() => void> = [];
const scanner = new KlineByteScanner();
const frame = new KlineFrame();

const nowMs = () => performance.timeOrigin + performance.now();

function counted(ok: boolean): void {
  if (!ok) {
    skipped++;
    return;
  }
  if (++klines >= expected && reply) {
    lastAtMs = nowMs();
    reply();
  }
}

const parseString = (text: string): boolean => parseKlineFrame(text).ok;
const parseBytes = (b: Uint8Array, start: number, end: number): boolean => scanner.scan(b, start, end, frame);

function open(url: string, kind: ClientKind): Promise<void> {
  return new Promise((resolve) => {
    switch (kind) {
      case 'undici': {
        const ws = new UndiciWebSocket(url);
        ws.addEventListener('open', () => resolve());
        ws.addEventListener('message', (ev) => counted(typeof ev.data === 'string' && parseString(ev.data)));
        closers.push(() => ws.close());
        return;
      }
      case 'ws':
      case 'ws-bytes': {
        const ws = new WsCtor(url, { perMessageDeflate: false });
        ws.on('open', () => resolve());
        const bytes = kind === 'ws-bytes';
        ws.on('message', (data, isBinary) =>
          counted(!isBinary && (bytes ? parseBytes(data, 0, data.length) || parseString(data.toString()) : parseString(data.toString()))),
        );
        closers.push(() => ws.close());
        return;
      }
      case 'lean':
      case 'lean-string': {
        const bytes = kind === 'lean';
        const ws = new WsClient(url, {
          open: () => resolve(),
          text: (m) => {
            if (bytes && parseBytes(m.bytes, m.start, m.end)) return counted(true);
            const text = m.text();
            counted(text !== undefined && parseString(text));
          },
          close: () => {},
        });
        closers.push(() => ws.close());
        return;
      }
    }
  });
}

process.on('message', async (msg: { cmd: string; urls?: string[]; client?: ClientKind; frames?: number }) => {
  if (msg.cmd === 'connect') {
    await Promise.all(msg.urls!.map((u) => open(u, msg.client!)));
    process.send!({ ok: true });
  } else if (msg.cmd === 'expect') {
    klines = 0;
    skipped = 0;
    expected = msg.frames!;
    eluStart = performance.eventLoopUtilization();
    reply = () => {
      reply = null;
      const elu = performance.eventLoopUtilization(eluStart);
      process.send!({ frames: klines, lastAtMs, busyMs: elu.active, skipped });
    };
  } else if (msg.cmd === 'close') {
    for (const close of closers) close();
    setTimeout(() => process.exit(0), 200);
  }
});
