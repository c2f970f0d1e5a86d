import { encodeFrame, OPCODE_TEXT } from './ws-peer.js';
import type { FakeMarket } from './fake-rest.js';
import type { WsPeer } from './ws-peer.js';

/**
 * One client of the fake's WebSocket endpoint: its streams, its kind (raw `/ws` or combined
 * `/stream`), and what Binance would police on it — inbound messages per second (pings, pongs,
 * SUBSCRIBEs all count, sources.md). Requests follow Binance's "Live Subscribing/Unsubscribing"
 * protocol: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, answered `{"result":..,"id":..}`, errors
 * `{"error":{"code","msg"},"id"}` (codes 1 invalid value type, 2 invalid request, 3 invalid JSON).
 */

export interface FakeConnectionStats {
  readonly id: number;
  readonly market: FakeMarket;
  readonly combined: boolean;
  readonly path: string;
  readonly streams: string[];
  readonly open: boolean;
  readonly inboundFrames: number;
  readonly pongs: number;
  /** Most inbound frames seen in any 1000 ms window. */
  readonly maxInboundPerSecond: number;
  /** Inbound frames that exceeded the limit within their 1000 ms window. */
  readonly violations: number;
  readonly framesSent: number;
  readonly requests: number;
}

const WINDOW_MS = 1000;
/** Path prefixes of the split futures endpoints (sources.md: `/public`, `/market`); none = spot. */
const FUTURES_PREFIXES = ['/market', '/public'];

/**
 * What a WebSocket URL asks for: `[/market|/public]/ws[/<stream>...]` (raw) or
 * `[/market|/public]/stream?streams=a/b` (combined); undefined for any other path (404).
 */
export function routeWsPath(url: URL): { market: FakeMarket; combined: boolean; streams: string[] } | undefined {
  let path = url.pathname;
  const prefix = FUTURES_PREFIXES.find((p) => path === p || path.startsWith(`${p}/`));
  const market: FakeMarket = prefix ? 'futures' : 'spot';
  if (prefix) path = path.slice(prefix.length);
  if (path === '/stream') return { market, combined: true, streams: (url.searchParams.get('streams') ?? '').split('/').filter((s) => s !== '') };
  if (path === '/ws' || path.startsWith('/ws/'))
    return {
      market,
      combined: false,
      streams: path
        .slice(4)
        .split('/')
        .filter((s) => s !== ''),
    };
  return undefined;
}

export class FakeConnection {
  readonly streams = new Set<string>();
  framesSent = 0;
  private readonly inbound: number[] = [];
  private inboundFrames = 0;
  private pongs = 0;
  private maxPerSecond = 0;
  private violations = 0;
  private requests = 0;

  constructor(
    readonly id: number,
    readonly market: FakeMarket,
    readonly combined: boolean,
    readonly path: string,
    readonly peer: WsPeer,
    private readonly inboundLimit: number,
    private readonly enforceLimit: boolean,
    private readonly onSubscribe: (conn: FakeConnection, streams: string[]) => void,
  ) {}

  /** Counts frames sent outside `deliver` (pre-encoded blasts). */
  countSent(frames: number): void {
    this.framesSent += frames;
  }

  /** The WebSocket frame this client would get for an event of `stream`, or null if not subscribed. */
  encode(stream: string, data: string): Buffer | null {
    if (!this.streams.has(stream)) return null;
    return encodeFrame(OPCODE_TEXT, this.combined ? `{"stream":"${stream}","data":${data}}` : data);
  }

  /** Sends one event to this client if it carries `stream`, wrapped for combined connections. */
  deliver(stream: string, data: string): boolean {
    if (!this.streams.has(stream)) return true;
    this.framesSent++;
    return this.peer.sendText(this.combined ? `{"stream":"${stream}","data":${data}}` : data);
  }

  /** Counts one inbound frame against the per-connection limit. */
  countInbound(kind: string): void {
    const now = Date.now();
    this.inboundFrames++;
    if (kind === 'pong') this.pongs++;
    this.inbound.push(now);
    while (this.inbound.length > 0 && this.inbound[0]! <= now - WINDOW_MS) this.inbound.shift();
    this.maxPerSecond = Math.max(this.maxPerSecond, this.inbound.length);
    if (this.inbound.length > this.inboundLimit) {
      this.violations++;
      // Binance disconnects a connection that sends too much.
      if (this.enforceLimit) this.peer.close(1008, 'too many requests');
    }
  }

  handleText(text: string): void {
    this.requests++;
    let req: { method?: unknown; params?: unknown; id?: unknown };
    try {
      req = JSON.parse(text) as typeof req;
    } catch {
      this.reply({ error: { code: 3, msg: 'Invalid JSON' } });
      return;
    }
    const id = req.id ?? null;
    if (typeof id !== 'number' && typeof id !== 'string' && id !== null) {
      this.reply({ error: { code: 1, msg: "Invalid value type: expected number, string or null for 'id'" }, id: null });
      return;
    }
    const params = req.params;
    switch (req.method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || !params.every((p) => typeof p === 'string' && p.length > 0)) {
          this.reply({ error: { code: 2, msg: 'Invalid request: params must be a list of stream names' }, id });
          return;
        }
        if (req.method === 'SUBSCRIBE') {
          for (const s of params) this.streams.add(s);
          this.onSubscribe(this, params as string[]);
        } else {
          for (const s of params) this.streams.delete(s);
        }
        this.reply({ result: null, id });
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        this.reply({ result: [...this.streams], id });
        return;
      default:
        this.reply({ error: { code: 2, msg: 'Invalid request: unknown method' }, id });
    }
  }

  stats(): FakeConnectionStats {
    return {
      id: this.id,
      market: this.market,
      combined: this.combined,
      path: this.path,
      streams: [...this.streams],
      open: this.peer.isOpen,
      inboundFrames: this.inboundFrames,
      pongs: this.pongs,
      maxInboundPerSecond: this.maxPerSecond,
      violations: this.violations,
      framesSent: this.framesSent,
      requests: this.requests,
    };
  }

  private reply(body: unknown): void {
    // A silenced connection answers nothing either: that is what a stalled server looks like.
    this.peer.sendText(JSON.stringify(body));
  }
}
