import { Packr } from 'msgpackr';
import { CANDLE_STRIDE, type Candle } from '../domain/candle.js';
import { badRequest, type WireError } from '../shared/errors.js';

/**
 * What the nodes of a cluster say to each other on the bus (docs/architecture.md "Several
 * nodes"), msgpack-encoded. Candles travel as the packed little-endian float64 bytes the threads
 * already use (`[t,o,h,l,c,v] × n`), so a commit costs one copy to encode and one to decode.
 * Every message carries a version (`v`); a node refuses what it cannot read instead of guessing.
 */

const VERSION = 1;
const packr = new Packr({ useRecords: false, variableMapSize: true });

/** One series' candles of one commit: the unit published on the stream (one per series per drain). */
export interface CommittedSegmentMessage {
  readonly seriesId: string;
  /** Sorted by time, unique times, exactly what the commit stored. */
  readonly data: Float64Array;
  /** Newest stored candle_time of the series after the commit. */
  readonly head: number;
  /** Publish to WebSocket subscribers (false: the dev batch's publish_ws:false; caches still apply it). */
  readonly publish: boolean;
  /** The node whose writer committed it. */
  readonly node: string;
  /** Wall-clock time of the commit (ms since the epoch): commit → client latency across nodes. */
  readonly committedAtWallMs: number;
}

/** A request to drop caches: the publisher lost messages it could not hold (its bound). */
export interface ResyncMessage {
  readonly node: string;
  readonly reason: string;
}

export interface FormingMessage {
  readonly seriesId: string;
  readonly candle: Candle;
  readonly node: string;
}

/** A read node asks the ingest side to ingest a series on demand (request/reply). */
export interface DemandRequest {
  readonly seriesId: string;
  readonly node: string;
  /** Handed on by a full ingest node: answered here or refused, never handed on again. */
  readonly relayed?: boolean;
}

/**
 * The answer: `ondemand` (a job runs or starts, its tail covered first), `served` (no job needed:
 * whitelisted, or not a Binance series), `capacity` (the ingest node is full), or an error with
 * its contract code (`unknown_symbol`).
 */
export type DemandReply = { readonly grant: 'ondemand' | 'served' | 'capacity' } | { readonly error: WireError };

export function encodeCommitted(m: CommittedSegmentMessage): Uint8Array {
  const bytes = new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  return packr.pack({ v: VERSION, s: m.seriesId, d: bytes, h: m.head, p: m.publish, n: m.node, w: m.committedAtWallMs });
}

export function decodeCommitted(bytes: Uint8Array): CommittedSegmentMessage {
  const o = unpackVersioned(bytes, 'committed');
  const raw = o.d;
  if (typeof o.s !== 'string' || !(raw instanceof Uint8Array) || raw.byteLength % (8 * CANDLE_STRIDE) !== 0 || typeof o.h !== 'number') {
    throw badRequest('malformed committed message on the bus');
  }
  // Copy into an aligned buffer of its own: the decoded bytes may sit at any offset of the frame.
  const data = new Float64Array(raw.byteLength / 8);
  new Uint8Array(data.buffer).set(raw);
  return { seriesId: o.s, data, head: o.h, publish: o.p === true, node: String(o.n ?? ''), committedAtWallMs: Number(o.w ?? 0) };
}

export function encodeResync(m: ResyncMessage): Uint8Array {
  return packr.pack({ v: VERSION, n: m.node, r: m.reason });
}

export function decodeResync(bytes: Uint8Array): ResyncMessage {
  const o = unpackVersioned(bytes, 'resync');
  return { node: String(o.n ?? ''), reason: String(o.r ?? '') };
}

export function encodeForming(m: FormingMessage): Uint8Array {
  const c = m.candle;
  return packr.pack({ v: VERSION, s: m.seriesId, c: [c.candle_time, c.open, c.high, c.low, c.close, c.volume], n: m.node });
}

export function decodeForming(bytes: Uint8Array): FormingMessage {
  const o = unpackVersioned(bytes, 'forming');
  const c = o.c;
  if (typeof o.s !== 'string' || !Array.isArray(c) || c.length !== CANDLE_STRIDE || !c.every((x) => typeof x === 'number')) {
    throw badRequest('malformed forming message on the bus');
  }
  const [t, open, high, low, close, volume] = c as number[];
  return { seriesId: o.s, candle: { candle_time: t!, open: open!, high: high!, low: low!, close: close!, volume: volume! }, node: String(o.n ?? '') };
}

export function encodeDemandRequest(m: DemandRequest): Uint8Array {
  return packr.pack({ v: VERSION, s: m.seriesId, n: m.node, ...(m.relayed ? { r: true } : {}) });
}

export function decodeDemandRequest(bytes: Uint8Array): DemandRequest {
  const o = unpackVersioned(bytes, 'demand request');
  if (typeof o.s !== 'string') throw badRequest('malformed demand request on the bus');
  return { seriesId: o.s, node: String(o.n ?? ''), relayed: o.r === true };
}

export function encodeDemandReply(m: DemandReply): Uint8Array {
  return packr.pack({ v: VERSION, ...m });
}

export function decodeDemandReply(bytes: Uint8Array): DemandReply {
  const o = unpackVersioned(bytes, 'demand reply');
  if (o.error && typeof o.error === 'object') return { error: o.error as WireError };
  if (o.grant === 'ondemand' || o.grant === 'served' || o.grant === 'capacity') return { grant: o.grant };
  throw badRequest('malformed demand reply on the bus');
}

function unpackVersioned(bytes: Uint8Array, what: string): Record<string, unknown> {
  let o: unknown;
  try {
    o = packr.unpack(bytes);
  } catch {
    throw badRequest(`undecodable ${what} message on the bus`);
  }
  if (o === null || typeof o !== 'object') throw badRequest(`malformed ${what} message on the bus`);
  const rec = o as Record<string, unknown>;
  if (rec.v !== VERSION) throw badRequest(`${what} message of version ${String(rec.v)} on the bus; this node reads version ${VERSION}`);
  return rec;
}
