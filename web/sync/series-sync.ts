import type { Candle } from '../../src/domain/candle.js';
import { parseSeriesId } from '../../src/domain/series-id.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { CandleBook, type BarChange } from './candle-book.js';
import { getCandles, type CandlesResult } from './candles-http.js';
import { OlderBars, type OlderOutcome } from './older-bars.js';
import { ReconnectingSocket } from './reconnecting-socket.js';
import type { Transport } from './transport.js';
import { parseServerFrame, type ServerFrame, type SubscribeFrame, WireFormatError } from './wire.js';

export type LoadStatus = 'loading' | 'ready' | 'reconnecting' | 'error';

/** `history`: one HTTP page, then WS `since`. `snapshot`: WS `tail_limit` only, zero HTTP (contract §3). */
export type SyncMode = 'history' | 'snapshot';

/** Bars shown right after a switch: enough to scroll back a day of 1m bars. */
export const HISTORY_LIMIT = 2000;
/** A gap refill asks for the most the API allows (contract §2: limit ≤ 5000). */
export const REFILL_LIMIT = 5000;
export const SNAPSHOT_TAIL_LIMIT = 2000;

export interface SyncListener {
  /** Bars changed: `tail` → update() those bars; `bulk` → setData(book.bars()). */
  onBars(change: BarChange): void;
  onStatus(status: LoadStatus, reason: string): void;
}

export interface SeriesSyncOptions {
  transport: Transport;
  /** Absolute `ws(s)://host/ws/market`. */
  wsUrl: string;
  /** Prefix of `/api/...`; '' for the page's own origin. */
  httpBase?: string;
  mode?: SyncMode;
  backoff?: BackoffOptions;
  listener: SyncListener;
  /** Where frames we had to drop are reported (the browser passes console.warn). */
  warn?: (message: string) => void;
}

/** Everything that belongs to one series selection; replaced wholesale on a switch. */
interface Session {
  readonly seriesId: string;
  historyLoaded: boolean;
  /** A subscribe for this session went out on the current socket. */
  subscribed: boolean;
  /** Nothing more can be done for this selection (bad series_id, 4xx): no retries, no subscribe. */
  terminal: boolean;
  refilling: boolean;
  /** `since` of a gap announced while a refill was running; refilled right after it. */
  pendingRefillSince: number | null | undefined;
  retryTimer: unknown;
  readonly older: OlderBars;
}

/**
 * The live chart's sync algorithm, free of DOM: per series switch exactly one history GET, then
 * one subscribe on the page's single socket with `since` = last closed time; merges WS frames
 * into a CandleBook; refills a `gap` over HTTP once; resubscribes with `since` after reconnects;
 * ignores frames of series it has left.
 */
export class SeriesSync {
  readonly book = new CandleBook();
  private readonly mode: SyncMode;
  private readonly httpBase: string;
  private readonly socket: ReconnectingSocket;
  private readonly httpBackoff: Backoff;
  private readonly listener: SyncListener;
  private readonly warn: (message: string) => void;
  private session: Session | null = null;
  private statusValue: LoadStatus = 'loading';
  private reasonValue = '';
  private lastWsTime: number | null = null;
  private disposed = false;

  constructor(private readonly options: SeriesSyncOptions) {
    this.mode = options.mode ?? 'history';
    this.httpBase = options.httpBase ?? '';
    this.listener = options.listener;
    this.warn = options.warn ?? (() => {});
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.httpBackoff = new Backoff(backoff, options.transport.random);
    this.socket = new ReconnectingSocket(options.wsUrl, options.transport, backoff, {
      onOpen: () => this.onSocketOpen(),
      onText: (text) => this.onText(text),
      onDown: (reason, retryInMs) => this.onSocketDown(reason, retryInMs),
      onIgnored: (reason) => this.warn(reason),
    });
  }

  get seriesId(): string | null {
    return this.session?.seriesId ?? null;
  }

  get status(): LoadStatus {
    return this.statusValue;
  }

  get statusReason(): string {
    return this.reasonValue;
  }

  /** Time of the last closed candle that arrived over the socket for the current series. */
  get lastWsCandleTime(): number | null {
    return this.lastWsTime;
  }

  /** Shows `seriesId`: drops the old series (unsubscribe, late frames ignored) and loads the new one. */
  switchTo(seriesId: string): void {
    if (this.disposed) return;
    const old = this.session;
    if (old && old.seriesId === seriesId && !old.terminal) return;
    if (old) this.leave(old);
    const s: Session = {
      seriesId,
      historyLoaded: false,
      subscribed: false,
      terminal: false,
      refilling: false,
      pendingRefillSince: undefined,
      retryTimer: null,
      older: new OlderBars(seriesId, this.options.transport.fetch, this.httpBase, this.book, () => this.session === s),
    };
    this.session = s;
    this.book.clear();
    this.lastWsTime = null;
    this.httpBackoff.reset();
    this.listener.onBars({ kind: 'bulk' });
    try {
      parseSeriesId(seriesId);
    } catch (err) {
      s.terminal = true;
      this.setStatus('error', err instanceof Error ? err.message : 'invalid series_id');
      return;
    }
    this.setStatus('loading', '');
    this.socket.start();
    if (this.mode === 'history') void this.loadHistory(s);
    else this.subscribe(s);
  }

  /** Scroll-back: one page of older bars before the first one shown (the user reached the left edge). */
  async loadOlder(): Promise<OlderOutcome> {
    const s = this.session;
    if (!s || s.terminal) return { kind: 'busy' };
    const outcome = await s.older.load();
    if (s !== this.session) return { kind: 'busy' };
    if (outcome.kind === 'loaded') this.listener.onBars({ kind: 'older', count: outcome.added });
    if (outcome.kind === 'failed') this.warn(`older bars: ${outcome.reason}`);
    return outcome;
  }

  dispose(): void {
    this.disposed = true;
    if (this.session) this.cancelTimer(this.session);
    this.session = null;
    this.socket.dispose();
  }

  private leave(s: Session): void {
    this.cancelTimer(s);
    if (s.subscribed) this.socket.send(JSON.stringify({ type: 'unsubscribe', series_id: s.seriesId }));
    s.subscribed = false;
  }

  private async loadHistory(s: Session): Promise<void> {
    const result = await getCandles(this.options.transport.fetch, this.httpBase, { seriesId: s.seriesId, limit: HISTORY_LIMIT });
    if (s !== this.session) return;
    if (!result.ok) {
      this.httpFailed(s, `history request failed: ${result.reason}`, result, () => void this.loadHistory(s));
      return;
    }
    this.httpBackoff.reset();
    this.book.mergeClosed(result.candles);
    this.listener.onBars({ kind: 'bulk' });
    s.historyLoaded = true;
    this.subscribe(s);
  }

  /** Sends the subscribe when its preconditions hold; called again whenever one becomes true. */
  private subscribe(s: Session): void {
    if (s !== this.session || s.terminal || s.subscribed || !this.socket.isOpen) return;
    if (this.mode === 'history' && !s.historyLoaded) return;
    const frame: SubscribeFrame =
      this.mode === 'snapshot'
        ? { type: 'subscribe', series_id: s.seriesId, tail_limit: SNAPSHOT_TAIL_LIMIT, supports_batch: true }
        : { type: 'subscribe', series_id: s.seriesId, since: this.book.lastClosedTime, supports_batch: true };
    if (!this.socket.send(JSON.stringify(frame))) return;
    s.subscribed = true;
    // History mode is live from here (the catch-up may well be empty); snapshot mode waits for its snapshot.
    if (this.mode === 'history' && !s.refilling) this.setStatus('ready', '');
  }

  private onSocketOpen(): void {
    if (this.session) this.subscribe(this.session);
  }

  private onSocketDown(reason: string, retryInMs: number): void {
    const s = this.session;
    if (!s) return;
    s.subscribed = false;
    if (s.terminal) return;
    // Before the first load completes this is still "loading" (nothing to reconnect to yet), but
    // the reason shows why it is taking long.
    const status = this.statusValue === 'loading' ? 'loading' : 'reconnecting';
    this.setStatus(status, `${reason}; retrying in ${formatSeconds(retryInMs)}`);
  }

  private onText(text: string): void {
    let frame: ServerFrame | null;
    try {
      frame = parseServerFrame(text);
    } catch (err) {
      this.warn(`dropped server frame: ${err instanceof WireFormatError ? err.message : String(err)}`);
      return;
    }
    const s = this.session;
    if (!frame || !s) return;
    if (frame.type === 'error') {
      // A refusal (capacity) or a complaint about our frame: the user must see it, not a stuck "loading".
      if (frame.series_id !== null && frame.series_id !== s.seriesId) return;
      this.setStatus('error', frame.message ? `${frame.code}: ${frame.message}` : frame.code);
      return;
    }
    // Frames of a series we left (or of a subscription not yet re-sent) are late: drop them.
    if (frame.series_id !== s.seriesId || !s.subscribed) return;
    switch (frame.type) {
      case 'candles_batch':
        if (frame.candles.length > 0) this.lastWsTime = frame.candles[frame.candles.length - 1]!.candle_time;
        this.apply(this.book.mergeClosed(frame.candles));
        return;
      case 'candle_closed':
        this.lastWsTime = frame.candle.candle_time;
        this.apply(this.book.mergeClosed([frame.candle]));
        return;
      case 'candle_forming':
        this.apply(this.book.setForming(frame.candle));
        return;
      case 'snapshot':
        this.onSnapshot(s, frame.candles, frame.forming);
        return;
      case 'gap':
        this.onGap(s);
        return;
    }
  }

  private onSnapshot(s: Session, candles: Candle[], forming: Candle | null): void {
    if (candles.length > 0) this.lastWsTime = candles[candles.length - 1]!.candle_time;
    this.book.mergeClosed(candles);
    if (forming) this.book.setForming(forming);
    this.listener.onBars({ kind: 'bulk' });
    if (!s.refilling) this.setStatus('ready', '');
  }

  private onGap(s: Session): void {
    if (this.mode === 'snapshot') {
      // Zero-HTTP mode fills holes the same way it started: a fresh snapshot replaces the subscription.
      s.subscribed = false;
      this.subscribe(s);
      return;
    }
    // Captured now: the candles after the hole are about to arrive and would move lastClosedTime past it.
    void this.refill(s, this.book.lastClosedTime);
  }

  private async refill(s: Session, since: number | null): Promise<void> {
    if (s.refilling) {
      const pending = s.pendingRefillSince;
      s.pendingRefillSince = pending === undefined ? since : minSince(pending, since);
      return;
    }
    s.refilling = true;
    const result = await getCandles(this.options.transport.fetch, this.httpBase, { seriesId: s.seriesId, since, limit: REFILL_LIMIT });
    s.refilling = false;
    if (s !== this.session) return;
    if (!result.ok) {
      this.httpFailed(s, `gap refill failed: ${result.reason}`, result, () => void this.refill(s, since));
      return;
    }
    this.httpBackoff.reset();
    this.apply(this.book.mergeClosed(result.candles));
    const pending = s.pendingRefillSince;
    s.pendingRefillSince = undefined;
    if (pending !== undefined) void this.refill(s, pending);
    else if (s.subscribed && this.statusValue === 'error') this.setStatus('ready', '');
  }

  private httpFailed(s: Session, reason: string, result: Extract<CandlesResult, { ok: false }>, again: () => void): void {
    if (!result.retryable) {
      s.terminal = true;
      this.setStatus('error', reason);
      return;
    }
    const delay = this.httpBackoff.next();
    this.setStatus('error', `${reason}; retrying in ${formatSeconds(delay)}`);
    s.retryTimer = this.options.transport.clock.setTimeout(() => {
      s.retryTimer = null;
      if (s === this.session) again();
    }, delay);
  }

  private cancelTimer(s: Session): void {
    if (s.retryTimer !== null) this.options.transport.clock.clearTimeout(s.retryTimer);
    s.retryTimer = null;
  }

  private apply(change: BarChange): void {
    if (change.kind !== 'none') this.listener.onBars(change);
  }

  private setStatus(status: LoadStatus, reason: string): void {
    if (status === this.statusValue && reason === this.reasonValue) return;
    this.statusValue = status;
    this.reasonValue = reason;
    this.listener.onStatus(status, reason);
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/** The earlier of two refill starting points; null (no closed candle yet) is the earliest. */
function minSince(a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  return Math.min(a, b);
}
