import { CANDLE_STRIDE, writeCandle, type Candle } from '../../domain/candle.js';
import { DEFAULT_MAX_HELD, DEFAULT_MAX_HOLD_MS, holeBefore, lastMissingBar } from '../../domain/gap-policy.js';
import type { Logger } from '../../shared/log.js';
import type { Clock, Timer } from '../../shared/clock.js';
import { HoldProgress } from './hold-progress.js';

/**
 * The "held" part of the gap policy (domain/gap-policy.ts), inside the ingest worker: keeps one
 * series' closed candles in time order across a hole (issue 3: "no gap for holes we
 * could fill"). The hub drops a closed candle older than what a subscriber was last sent and
 * announces `gap` for a jump (contract §3), so a live candle sent past a hole would make the
 * filled candles arrive too late to matter. Instead, once a hole is known, this series' later
 * closed candles are held; the hole is fetched from REST; then filled and held candles go out
 * together, ascending, as ordinary closed data (writer first, then the hub).
 *
 * When REST cannot fill it (an exchange-side hole, errors after retries) what we have is
 * released anyway and the hub announces the `gap` — a hole REST cannot fill is data, not an
 * error (sources.md). Holding is bounded (architecture invariant 4): past `maxHeld` live
 * candles or `maxHoldMs` the held candles are released before the fill ends (logged; the fill
 * still lands in the store, too late for live subscribers, who got a `gap`).
 */
export interface GapHoldOptions {
  readonly seriesId: string;
  readonly tfSeconds: number;
  /** Sends candles downstream (the worker's batcher), ascending. */
  /** Candles going on, ascending; `packed` is valid during the call only (an in-order candle uses one reused row). */
  readonly release: (packed: Float64Array) => void;
  /** Asks REST for candle times from..to (seconds, inclusive). */
  readonly requestFill: (from: number, to: number) => void;
  /** Live candles held at most (default 1000). */
  readonly maxHeld?: number;
  /** Longest hold (ms) before releasing anyway (default 30 s). */
  readonly maxHoldMs?: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface GapHoldStats {
  /** Holds started (holes that were waited for). */
  holds: number;
  /** Live candles held right now. */
  held: number;
  /** Live candles that ever waited behind a hole. */
  heldTotal: number;
  /** Holds ended by maxHeld or maxHoldMs before the fill finished. */
  boundHits: number;
  /** Holes (or parts) REST could not fill: subscribers got a `gap`. */
  unfilledHoles: number;
  unfilledBars: number;
}

interface Held {
  readonly row: Float64Array;
  /** From the stream (the truth, sources.md) rather than REST. */
  readonly live: boolean;
}

export class GapHold {
  /** Newest candle_time sent downstream (or the store head): everything up to it is out. */
  private released: number | undefined;
  /** Newest candle_time known to be closed while holding (holes included). */
  private known: number | undefined;
  private readonly held = new Map<number, Held>();
  /** The row an in-order closed candle is released in: no allocation per candle. */
  private readonly straight = new Float64Array(CANDLE_STRIDE);
  private liveHeld = 0;
  private since: number | undefined;
  private timer: Timer | undefined;
  /** The holes asked for in this hold, for the log line. */
  private holes: [number, number][] = [];
  private lastFillError: string | undefined;
  /** Last bar of the latest hole REST could not fill: a hole revealed right after it is the same one. */
  private unfilledThrough: number | undefined;
  private readonly maxHeld: number;
  private readonly maxHoldMs: number;
  private readonly counters: Omit<GapHoldStats, 'held'> = { holds: 0, heldTotal: 0, boundHits: 0, unfilledHoles: 0, unfilledBars: 0 };
  /** What series health shows of the fills (hold-progress.ts). */
  readonly progress = new HoldProgress();

  /** `head`: newest stored candle_time, if any. */
  constructor(
    private readonly opts: GapHoldOptions,
    head?: number | null,
  ) {
    this.released = head ?? undefined;
    this.maxHeld = opts.maxHeld ?? DEFAULT_MAX_HELD;
    this.maxHoldMs = opts.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
  }

  get holding(): boolean {
    return this.since !== undefined;
  }

  /** A reference for a series without a store head: bars after `time` are this job's to deliver. */
  seed(time: number): void {
    this.released ??= time;
  }

  /** Bars from..to (inclusive) are missing: hold what follows and fetch them. */
  missing(from: number, to: number): void {
    if (!this.holding) {
      this.since = this.opts.clock.now();
      this.counters.holds++;
      this.known = this.released;
      this.timer = this.opts.clock.setTimeout(() => this.releaseAll('time'), this.maxHoldMs);
    }
    this.holes.push([from, to]);
    this.progress.asked((to - from) / this.opts.tfSeconds + 1, this.opts.clock.now());
    if (this.known === undefined || to > this.known) this.known = to;
    this.opts.requestFill(from, to);
  }

  /** A closed candle from the stream. */
  closed(candle: Candle): void {
    const t = candle.candle_time;
    if (!this.holding || this.released === undefined || t <= this.released) {
      // In order (or a repeat the hub will drop): straight through, in the one reused row.
      writeCandle(this.straight, 0, candle);
      this.emit(this.straight);
      return;
    }
    const row = new Float64Array(CANDLE_STRIDE);
    writeCandle(row, 0, candle);
    if (!this.held.get(t)?.live) {
      this.liveHeld++;
      this.counters.heldTotal++;
    }
    this.held.set(t, { row, live: true });
    if (t > this.known!) this.known = t;
    if (this.liveHeld > this.maxHeld) this.releaseAll('count');
  }

  /** Candles fetched from REST for this series, ascending. */
  filled(packed: Float64Array): void {
    const n = packed.length / CANDLE_STRIDE;
    let older = 0;
    // Candles at or before what is already out go straight on (stored; the hub drops them).
    while (older < n && (!this.holding || this.released === undefined || packed[older * CANDLE_STRIDE]! <= this.released)) older++;
    if (older > 0) this.emit(packed.subarray(0, older * CANDLE_STRIDE));
    this.progress.fetched(n - older, this.opts.clock.now());
    for (let i = older; i < n; i++) {
      const t = packed[i * CANDLE_STRIDE]!;
      // A live close of the same bar is the truth (sources.md): REST does not replace it.
      if (!this.held.has(t)) this.held.set(t, { row: packed.slice(i * CANDLE_STRIDE, (i + 1) * CANDLE_STRIDE), live: false });
    }
  }

  /**
   * One fill attempt ended (`error`: why it stopped short). `settled`: the hole fetch queue has nothing
   * more queued or running for this series, so the hold ends now.
   */
  fillDone(error: string | undefined, settled: boolean): void {
    if (!this.holding) return;
    if (error !== undefined) this.lastFillError = error;
    if (settled) this.releaseAll('filled');
  }

  /** Job stopped: held candles are dropped (returned count); the next start fills them from the store head. */
  stop(): number {
    const dropped = this.liveHeld;
    this.progress.cancel();
    this.reset();
    return dropped;
  }

  stats(): GapHoldStats {
    return { ...this.counters, held: this.liveHeld };
  }

  private releaseAll(reason: 'filled' | 'count' | 'time'): void {
    if (!this.holding) return;
    const times = [...this.held.keys()].sort((a, b) => a - b);
    const out = new Float64Array(times.length * CANDLE_STRIDE);
    times.forEach((t, i) => out.set(this.held.get(t)!.row, i * CANDLE_STRIDE));
    const tf = this.opts.tfSeconds;
    const unfilled: [number, number][] = [];
    let prev = this.released;
    for (const t of [...times, (this.known ?? -Infinity) + tf]) {
      const hole = holeBefore(prev, t, tf);
      if (hole) unfilled.push([hole.expectedNext, lastMissingBar(hole, tf)]);
      prev = prev === undefined ? t : Math.max(prev, t);
    }
    const bars = unfilled.reduce((n, [a, b]) => n + (b - a) / tf + 1, 0);
    const fields = {
      seriesId: this.opts.seriesId,
      holes: this.holes,
      heldMs: this.opts.clock.now() - this.since!,
      released: times.length,
      held: this.liveHeld,
    };
    const outcome = reason !== 'filled' ? 'bound' : unfilled.length > 0 ? 'unfilled' : 'filled';
    const why = outcome === 'bound' ? `held candles reached their bound (${reason})` : 'the exchange returned no data for it';
    this.progress.ended(this.opts.clock.now(), outcome, bars, outcome === 'filled' ? null : (this.lastFillError ?? why));
    if (reason !== 'filled') {
      this.counters.boundHits++;
      this.opts.logger.warn('held candles reached their bound; releasing them before the hole is filled (subscribers get a gap)', {
        ...fields,
        bound: reason === 'count' ? `${this.maxHeld} candles` : `${this.maxHoldMs} ms`,
      });
    } else if (unfilled.length > 0) {
      // A forming frame can reveal one more lost bar after a hold has ended (the close grace):
      // subscribers see one gap, so it is counted as one hole.
      const continues = this.unfilledThrough !== undefined && unfilled[0]![0] === this.unfilledThrough + tf;
      this.counters.unfilledHoles += unfilled.length - (continues ? 1 : 0);
      this.unfilledThrough = unfilled.at(-1)![1];
      this.counters.unfilledBars += bars;
      this.opts.logger.warn('hole not filled from REST; subscribers get a gap', {
        ...fields,
        missing: unfilled,
        bars,
        reason: this.lastFillError ?? 'the exchange returned no data for it',
      });
    } else {
      this.opts.logger.info('hole filled from REST', fields);
    }
    // Everything up to the newest known close is settled now: sent, or announced as a gap. A bar
    // revealed missing later is a new hole from there, not the old one asked for again.
    const settledThrough = this.known;
    this.reset();
    if (out.length > 0) this.emit(out);
    if (settledThrough !== undefined && (this.released === undefined || settledThrough > this.released)) this.released = settledThrough;
  }

  private emit(packed: Float64Array): void {
    const n = packed.length / CANDLE_STRIDE;
    const last = packed[(n - 1) * CANDLE_STRIDE]!;
    if (this.released === undefined || last > this.released) this.released = last;
    this.opts.release(packed);
  }

  private reset(): void {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.since = undefined;
    this.held.clear();
    this.liveHeld = 0;
    this.holes = [];
    this.lastFillError = undefined;
    this.known = undefined;
  }
}
