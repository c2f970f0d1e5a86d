import { readFileSync } from 'node:fs';
import type { Interval } from './intervals.js';
import type { Bar } from './kline-generator.js';
import type { BarQuery } from './path-bars.js';
import { selectListed, type KlineSource } from './rest-klines.js';

/**
 * Recorded frames for the fake to replay. Two line formats:
 * - cryptofeed's recorder (`../shared/fixtures/binance/README.md`): `<unix seconds>: <frame>`, the
 *   first line being `<url> <-> <seconds>` (skipped);
 * - JSONL: one frame per line; its time is the event's `E` (or 1 ms after the previous line).
 * Frames are kept byte-exact; the event part of a combined frame is cut out, not re-serialised.
 */

export interface ReplayFrame {
  /** Receive time in the recording, ms. */
  readonly atMs: number;
  /** Stream of a combined frame, or derived for raw kline events; undefined for replies etc. */
  readonly stream: string | undefined;
  /** The event JSON (the `data` of a combined frame). */
  readonly data: string;
  /** Closed kline bar carried by this frame, if any (feeds REST history). */
  readonly closedBar?: Bar;
}

const CRYPTOFEED_LINE = /^(\d+(?:\.\d+)?): (.*)$/s;

export function loadReplayFile(path: string): ReplayFrame[] {
  return parseReplay(readFileSync(path, 'utf8'));
}

/** A recording's frames, and the closed bars among them for REST. */
export function loadReplay(path: string): { frames: ReplayFrame[]; history: ReplayHistory } {
  const frames = loadReplayFile(path);
  const history = new ReplayHistory();
  for (const f of frames) if (f.closedBar && f.stream) history.record(f.stream, f.closedBar);
  return { frames, history };
}

export function parseReplay(text: string): ReplayFrame[] {
  const out: ReplayFrame[] = [];
  let lastAt = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = CRYPTOFEED_LINE.exec(line);
    const frameText = m ? m[2]! : line.trim();
    if (!frameText.startsWith('{')) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(frameText) as Record<string, unknown>;
    } catch {
      continue;
    }
    const combined = typeof parsed.stream === 'string' && typeof parsed.data === 'object' && parsed.data !== null;
    const event = (combined ? parsed.data : parsed) as Record<string, unknown>;
    const data = combined ? frameText.slice(frameText.indexOf('"data":') + 7, frameText.lastIndexOf('}')) : frameText;
    const atMs = m ? Math.round(Number(m[1]) * 1000) : typeof event.E === 'number' ? event.E : lastAt + 1;
    lastAt = atMs;
    const stream = combined ? (parsed.stream as string) : klineStream(event);
    out.push({ atMs, stream, data, closedBar: closedBarOf(event) });
  }
  return out;
}

function klineStream(event: Record<string, unknown>): string | undefined {
  const k = event.k as Record<string, unknown> | undefined;
  if (event.e !== 'kline' || typeof event.s !== 'string' || !k || typeof k.i !== 'string') return undefined;
  return `${event.s.toLowerCase()}@kline_${k.i}`;
}

function closedBarOf(event: Record<string, unknown>): Bar | undefined {
  const k = event.k as Record<string, string | number | boolean> | undefined;
  if (event.e !== 'kline' || !k || k.x !== true) return undefined;
  return {
    t: Number(k.t),
    T: Number(k.T),
    o: String(k.o),
    h: String(k.h),
    l: String(k.l),
    c: String(k.c),
    v: String(k.v),
    n: Number(k.n),
    firstTrade: Number(k.f),
    lastTrade: Number(k.L),
  };
}

/** Closed bars seen in a replay, served over REST (no forming bar: a recording has none to give). */
export class ReplayHistory implements KlineSource {
  private readonly bars = new Map<string, Bar[]>();
  private readonly symbols = new Set<string>();

  /** A stream of the recording: REST answers it (with no rows before its first close), as Binance does a listed symbol. */
  declare(stream: string): void {
    if (!this.bars.has(stream)) this.bars.set(stream, []);
    this.symbols.add(stream.slice(0, stream.indexOf('@')).toUpperCase());
  }

  record(stream: string, bar: Bar): void {
    let list = this.bars.get(stream);
    if (!list) this.bars.set(stream, (list = []));
    this.symbols.add(stream.slice(0, stream.indexOf('@')).toUpperCase());
    const last = list[list.length - 1];
    if (last === undefined || bar.t > last.t) list.push(bar);
    else if (bar.t === last.t) list[list.length - 1] = bar;
  }

  has(stream: string): boolean {
    return this.bars.has(stream);
  }

  history(stream: string): readonly Bar[] {
    return this.bars.get(stream) ?? [];
  }

  /** Symbols the recording has closed klines of. */
  hasSymbol(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  klines(symbol: string, interval: Interval, query: BarQuery): readonly Bar[] {
    return selectListed(this.history(`${symbol.toLowerCase()}@kline_${interval.name}`), query);
  }
}
