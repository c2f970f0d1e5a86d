import type { KlineFrame } from '../../domain/kline-frame.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { Backoff } from '../../shared/backoff.js';
import { STREAM_DEFAULTS, type BinanceStreamOptions, type BinanceStreamStats } from './binance-stream-options.js';
import { systemClock, type Clock, type Timer } from '../../shared/clock.js';
import { FrameDedupe } from './frame-dedupe.js';
import { StreamConnection } from './stream-connection.js';

export type { BinanceStreamOptions, BinanceStreamStats } from './binance-stream-options.js';

/** Reconnect delays kept for stats (tests and the debug endpoint read them). */
const MAX_RECENT_BACKOFFS = 20;

/**
 * A logical Binance combined-stream connection that stays up: it reconnects with backoff, replaces
 * a silent socket, and rotates before Binance's 24 h cut (or on `serverShutdown`) make-before-break
 * — the new socket is opened and subscribed first, the old one closed only after the new one
 * delivers, and frames seen on both are dropped once (FrameDedupe) — so nothing is lost or doubled.
 */
export class BinanceStream {
  private readonly opts: BinanceStreamOptions & typeof STREAM_DEFAULTS;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly dedupe = new FrameDedupe();
  private readonly wanted = new Set<string>();
  /** The connection serving the streams. */
  private current: StreamConnection | undefined;
  /** The replacement being opened during a rotation. */
  private incoming: StreamConnection | undefined;
  private nextId: number;
  private connectTimer: Timer | undefined;
  private watchdogTimer: Timer | undefined;
  private rotateTimer: Timer | undefined;
  private handoverTimer: Timer | undefined;
  private closed = false;
  private readonly counters = { connects: 0, reconnects: 0, rotations: 0, silenceKills: 0, shutdownNotices: 0, klines: 0, skipped: 0 };
  private readonly recentBackoffMs: number[] = [];

  constructor(options: BinanceStreamOptions) {
    const resolved: Record<string, unknown> = { ...options };
    for (const key of Object.keys(STREAM_DEFAULTS) as (keyof typeof STREAM_DEFAULTS)[]) resolved[key] = options[key] ?? STREAM_DEFAULTS[key];
    this.opts = resolved as unknown as BinanceStreamOptions & typeof STREAM_DEFAULTS;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? createLogger('ingest.binance-stream');
    this.backoff = new Backoff(options.backoff);
    this.nextId = options.idBase ?? 1;
  }

  get streams(): ReadonlySet<string> {
    return this.wanted;
  }

  /** Adds streams; the first add opens the connection (after the current tick, so a burst lands in one URL). */
  add(streams: Iterable<string>): void {
    for (const s of streams) this.wanted.add(s);
    this.sync();
  }

  remove(streams: Iterable<string>): void {
    for (const s of streams) {
      this.wanted.delete(s);
      this.dedupe.forget(s);
    }
    this.sync();
  }

  /** Make-before-break replacement of the serving connection. */
  rotate(reason: string): void {
    if (this.closed || this.incoming || !this.current || this.wanted.size === 0) return;
    this.log.info('rotating connection', { reason, connection: this.current.id });
    this.incoming = this.openConnection();
    const candidate = this.incoming;
    this.handoverTimer = this.clock.setTimeout(() => {
      if (this.incoming !== candidate) return;
      this.log.warn('replacement connection did not deliver; keeping the old one', { connection: candidate.id });
      this.incoming = undefined;
      candidate.destroy('handover timeout');
      this.scheduleRotation(this.backoff.next());
    }, this.opts.handoverTimeoutMs);
  }

  /** Closes every connection; no reconnect afterwards. */
  close(): void {
    this.closed = true;
    for (const t of [this.connectTimer, this.watchdogTimer, this.rotateTimer, this.handoverTimer]) if (t) this.clock.clearTimeout(t);
    this.incoming?.close('client stop');
    this.current?.close('client stop');
    this.incoming = this.current = undefined;
  }

  stats(): BinanceStreamStats {
    return {
      streams: this.wanted.size,
      connected: this.current?.open ?? false,
      ...this.counters,
      // Closed connections were added up in onClosed; the live ones count on.
      skipped: this.counters.skipped + (this.current?.skipped ?? 0) + (this.incoming?.skipped ?? 0),
      duplicatesDropped: this.dedupe.duplicates,
      recentBackoffMs: [...this.recentBackoffMs],
    };
  }

  /** Brings connections in line with `wanted`: connect, (un)subscribe, or close when empty. */
  private sync(): void {
    if (this.closed) return;
    if (this.wanted.size === 0) {
      this.incoming?.close('no streams');
      this.current?.close('no streams');
      this.incoming = this.current = undefined;
      return;
    }
    this.current?.want(this.wanted);
    this.incoming?.want(this.wanted);
    if (!this.current && this.connectTimer === undefined) this.scheduleConnect(0);
  }

  private scheduleConnect(delayMs: number): void {
    this.connectTimer = this.clock.setTimeout(() => {
      this.connectTimer = undefined;
      if (this.closed || this.current || this.wanted.size === 0) return;
      this.current = this.openConnection();
    }, delayMs);
  }

  private openConnection(): StreamConnection {
    this.counters.connects++;
    const all = [...this.wanted];
    let inUrl = 0;
    for (let chars = 0; inUrl < all.length && chars + all[inUrl]!.length + 1 <= this.opts.maxUrlChars; inUrl++) chars += all[inUrl]!.length + 1;
    const conn = new StreamConnection(
      {
        id: this.nextId++,
        baseUrl: this.opts.baseUrl,
        initialStreams: all.slice(0, inUrl),
        inboundMsgsPerSecond: this.opts.inboundMsgsPerSecond,
        serverPingIntervalMs: this.opts.serverPingIntervalMs ?? 20_000,
        clock: this.clock,
      },
      {
        onKline: (frame) => this.onKline(frame),
        onReady: (c) => this.onReady(c),
        onShutdownNotice: (c) => this.onShutdownNotice(c),
        onClosed: (c, code, reason) => this.onClosed(c, code, reason),
      },
    );
    conn.want(this.wanted);
    this.armWatchdog();
    return conn;
  }

  private onKline(frame: KlineFrame): void {
    if (!this.dedupe.accept(frame)) return;
    this.counters.klines++;
    this.opts.onKline(frame);
  }

  private onReady(conn: StreamConnection): void {
    if (conn === this.current) {
      this.scheduleRotation(this.opts.rotateAfterMs - (this.clock.now() - conn.openedAt));
      return;
    }
    if (conn !== this.incoming) return;
    if (this.handoverTimer) this.clock.clearTimeout(this.handoverTimer);
    // Frames the old socket already has on the wire still count; close it a moment later.
    this.handoverTimer = this.clock.setTimeout(() => {
      this.handoverTimer = undefined;
      if (conn !== this.incoming) return;
      const old = this.current;
      this.current = conn;
      this.incoming = undefined;
      this.counters.rotations++;
      old?.close('rotated');
      this.scheduleRotation(this.opts.rotateAfterMs - (this.clock.now() - conn.openedAt));
    }, this.opts.handoverGraceMs);
  }

  private onShutdownNotice(conn: StreamConnection): void {
    this.counters.shutdownNotices++;
    if (conn === this.current) this.rotate('serverShutdown');
  }

  private onClosed(conn: StreamConnection, code: number, reason: string): void {
    this.counters.skipped += conn.skipped;
    if (this.closed) return;
    if (conn === this.incoming) {
      this.incoming = undefined;
      if (this.handoverTimer) this.clock.clearTimeout(this.handoverTimer);
      this.handoverTimer = undefined;
      this.log.warn('replacement connection closed before handover', { connection: conn.id, code, reason });
      this.scheduleRotation(this.backoff.next());
      return;
    }
    if (conn !== this.current) return;
    const lived = this.clock.now() - conn.openedAt;
    if (lived >= this.opts.stableAfterMs && conn.klines > 0) this.backoff.reset();
    if (this.incoming) {
      // The replacement is already subscribed (URL streams): promote it instead of reconnecting.
      this.current = this.incoming;
      this.incoming = undefined;
      if (this.handoverTimer) this.clock.clearTimeout(this.handoverTimer);
      this.handoverTimer = undefined;
      this.counters.rotations++;
      return;
    }
    this.current = undefined;
    if (this.wanted.size === 0) return;
    const delay = this.backoff.next();
    this.counters.reconnects++;
    this.recentBackoffMs.push(delay);
    if (this.recentBackoffMs.length > MAX_RECENT_BACKOFFS) this.recentBackoffMs.shift();
    this.log.warn('connection closed; reconnecting', { connection: conn.id, code, reason, delayMs: delay, livedMs: lived });
    if (this.connectTimer) this.clock.clearTimeout(this.connectTimer);
    this.scheduleConnect(delay);
  }

  private scheduleRotation(delayMs: number): void {
    if (this.rotateTimer) this.clock.clearTimeout(this.rotateTimer);
    this.rotateTimer = this.clock.setTimeout(
      () => {
        this.rotateTimer = undefined;
        this.rotate('max age');
      },
      Math.max(0, delayMs),
    );
  }

  /** One timer for both sockets: each must show a data frame within the silence timeout. */
  private armWatchdog(): void {
    if (this.watchdogTimer || this.closed) return;
    const period = Math.max(10, Math.floor(this.opts.silenceTimeoutMs / 4));
    this.watchdogTimer = this.clock.setTimeout(() => {
      this.watchdogTimer = undefined;
      const now = this.clock.now();
      for (const conn of [this.current, this.incoming]) {
        if (conn && now - conn.lastActivityAt > this.opts.silenceTimeoutMs) {
          this.counters.silenceKills++;
          this.log.warn('connection silent; replacing it', { connection: conn.id, silentMs: now - conn.lastActivityAt });
          conn.destroy('silent');
        }
      }
      if (this.current || this.incoming) this.armWatchdog();
    }, period);
  }
}
