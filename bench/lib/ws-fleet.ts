/**
 * A fleet of WebSocket clients in one process, for the fan-out benchmark. Raw sockets and a
 * minimal frame reader: no UTF-8 decoding, no per-message events, so the clients cost far less
 * CPU than the servers under test. Controlled by the parent over IPC:
 *   {cmd:'connect', url, count, series[], offset}  → {ok}
 *   {cmd:'reset'} → {ok}        {cmd:'stats'} → FleetStats        {cmd:'close'} → exits
 *   {cmd:'count'} → {messages}  (cheap: for waiting until the last frames have landed)
 * Each socket subscribes to series[(offset + i) % series.length] with since=0, supports_batch.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface FleetStats {
  sockets: number;
  open: number;
  /** Candles received: one per message, a `candles_batch` counts each of its candles. */
  messages: number;
  bytes: number;
  /** ms from the send time carried in `volume` to receipt, sampled (all message types). */
  latencies: number[];
  /** The same, closed candles only (candle_closed / candles_batch) and forming only. */
  closedLatencies: number[];
  formingLatencies: number[];
  /** The send time (the frame's key in gateway phase traces) of each closed / forming sample, in the same order. */
  closedSent: number[];
  formingSent: number[];
  closes: Record<string, number>;
}

const VOLUME = Buffer.from('"volume":');
const BATCH = Buffer.from('{"type":"candles_batch"');
const CANDLE_TIME = Buffer.from('"candle_time":');
const BATCH_MARK_AT = BATCH.indexOf('s', BATCH.indexOf('candle'));
const FORMING = Buffer.from('"type":"candle_forming"');
/** Keep every Nth latency sample to bound memory at high rates. */
let SAMPLE_EVERY = 7;

const stats: FleetStats = {
  sockets: 0,
  open: 0,
  messages: 0,
  bytes: 0,
  latencies: [],
  closedLatencies: [],
  formingLatencies: [],
  closedSent: [],
  formingSent: [],
  closes: {},
};
const sockets: Socket[] = [];
let sampleCounter = 0;

function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Candles in one server message: a `candles_batch` (several closed candles committed together) carries several. */
function candlesIn(payload: Buffer): number {
  // One byte first ('s' of "candles", '_' of "candle_forming"/"candle_closed"): the fleet reads
  // ~1.5M messages/s, and a native compare on each would be client CPU the servers' runs share.
  if (payload[BATCH_MARK_AT] !== BATCH[BATCH_MARK_AT] || payload.length < BATCH.length || payload.compare(BATCH, 0, BATCH.length, 0, BATCH.length) !== 0)
    return 1;
  let n = 0;
  for (let at = payload.indexOf(CANDLE_TIME); at >= 0; at = payload.indexOf(CANDLE_TIME, at + CANDLE_TIME.length)) n++;
  return n;
}

function onPayload(payload: Buffer): void {
  stats.messages += candlesIn(payload);
  stats.bytes += payload.length;
  if (++sampleCounter % SAMPLE_EVERY !== 0) return;
  const at = payload.lastIndexOf(VOLUME);
  if (at < 0) return;
  let end = at + VOLUME.length;
  while (end < payload.length && payload[end] !== 0x7d && payload[end] !== 0x2c) end++;
  const sent = Number(payload.toString('latin1', at + VOLUME.length, end));
  if (sent < 1e12) return;
  const latency = nowMs() - sent;
  stats.latencies.push(latency);
  const forming = payload.indexOf(FORMING) >= 0;
  (forming ? stats.formingLatencies : stats.closedLatencies).push(latency);
  (forming ? stats.formingSent : stats.closedSent).push(sent);
}

function openSocket(url: URL, series: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.setNoDelay(true);
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    socket.once('error', reject);
    socket.on('connect', () => {
      const key = randomBytes(16).toString('base64');
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        stats.open++;
        sendText(socket, JSON.stringify({ type: 'subscribe', series_id: series, since: 0, supports_batch: true }));
        resolve();
      }
      let offset = 0;
      while (buffer.length - offset >= 2) {
        const opcode = buffer[offset]! & 0x0f;
        let len = buffer[offset + 1]! & 0x7f;
        let header = 2;
        if (len === 126) {
          if (buffer.length - offset < 4) break;
          len = buffer.readUInt16BE(offset + 2);
          header = 4;
        } else if (len === 127) {
          if (buffer.length - offset < 10) break;
          len = Number(buffer.readBigUInt64BE(offset + 2));
          header = 10;
        }
        if (buffer.length - offset < header + len) break;
        const payload = buffer.subarray(offset + header, offset + header + len);
        if (opcode === 0x1 || opcode === 0x2) onPayload(payload);
        else if (opcode === 0x8) {
          const code = len >= 2 ? payload.readUInt16BE(0) : 1005;
          stats.closes[code] = (stats.closes[code] ?? 0) + 1;
        } else if (opcode === 0x9) sendFrame(socket, 0xa, payload); // answer pings
        offset += header + len;
      }
      buffer = offset === buffer.length ? Buffer.alloc(0) : buffer.subarray(offset);
    });
    socket.on('close', () => {
      if (upgraded) stats.open--;
    });
    sockets.push(socket);
  });
}

function sendText(socket: Socket, text: string): void {
  sendFrame(socket, 0x1, Buffer.from(text));
}

function sendFrame(socket: Socket, opcode: number, payload: Buffer): void {
  const mask = randomBytes(4);
  const header =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
      : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  socket.write(Buffer.concat([header, mask, masked]));
}

process.on('message', async (msg: { cmd: string; url?: string; count?: number; series?: string[]; offset?: number; sampleEvery?: number }) => {
  if (msg.cmd === 'connect') {
    if (msg.sampleEvery) SAMPLE_EVERY = msg.sampleEvery;
    const url = new URL(msg.url!);
    for (let i = 0; i < msg.count!; i++) {
      await openSocket(url, msg.series![(msg.offset! + i) % msg.series!.length]!);
      stats.sockets++;
    }
    process.send!({ ok: true });
  } else if (msg.cmd === 'reset') {
    stats.messages = 0;
    stats.bytes = 0;
    stats.latencies = [];
    stats.closedLatencies = [];
    stats.formingLatencies = [];
    stats.closedSent = [];
    stats.formingSent = [];
    stats.closes = {};
    process.send!({ ok: true });
  } else if (msg.cmd === 'stats') {
    process.send!(stats);
  } else if (msg.cmd === 'count') {
    process.send!({ messages: stats.messages });
  } else if (msg.cmd === 'close') {
    for (const s of sockets) s.destroy();
    process.exit(0);
  }
});
