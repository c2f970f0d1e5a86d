import { parseSeriesId } from '../../src/domain/series-id.js';
import { DEFAULT_BACKOFF, retryingIn, type BackoffOptions } from './backoff.js';
import { CandleBook, type BarChange } from './candle-book.js';
import { getCandles } from './candles-http.js';
import { mergeLiveFrame, subscribeFrame, unsubscribeFrame, type SyncMode } from './live-frames.js';
import { OlderBars, type OlderOutcome } from './older-bars.js';
import { ReconnectingSocket } from './reconnecting-socket.js';
import { SyncSession, type HttpFailure } from './sync-session.js';
import type { Transport } from './transport.js';
import { parseServerFrame, type ServerFrame, WireFormatError } from './wire.js';

export type LoadStatus = 'loading' | 'ready' | 'reconnecting' | 'error';

/** Bars shown right after a switch: enough to scroll back a day of 1m bars. */
export const HISTORY_LIMIT = 2000;
/** A gap refill asks for the most the API allows (contract §2: limit ≤ 5000). */
export const REFILL_LIMIT = 5000;

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

/**
 * The live chart's sync algorithm, free of DOM: per series switch exactly one history GET, then
 * one subscribe on the page's single socket with `since` = last closed time; merges WS frames
 * into a CandleBook; refills a `gap` over HTTP once; resubscribes with `since` after reconnects;
 * ignores frames of series it has left. A selection's own state is a SyncSession (sync-session.ts);
 * the frames it sends and how received ones merge are live-frames.ts.
 */
export class SeriesSync {
  readonly book = new CandleBook();
  private readonly mode: SyncMode;
  private readonly httpBase: string;
  private readonly socket: ReconnectingSocket;
  private readonly backoff: BackoffOptions;
  private readonly listener: SyncListener;
  private readonly warn: (message: string) => void;
  private session: SyncSession | null = null;
  private statusValue: LoadStatus = 'loading';
  private reasonValue = '';
  private lastWsTime: number | null = null;
  private disposed = false;

  constructor(private readonly options: SeriesSyncOptions) {
    this.mode = options.mode ?? 'history';
    this.httpBase = options.httpBase ?? '';
    this.listener = options.listener;
    this.warn = options.warn ?? (() => {});
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.socket = new ReconnectingSocket(options.wsUrl, options.transport, this.backoff, {
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
    const { fetch, random, clock } = this.options.transport;
    const older = (session: SyncSession) => new OlderBars(seriesId, fetch, this.httpBase, this.book, () => this.session === session);
    const s = new SyncSession(seriesId, older, this.backoff, random, clock);
    this.session = s;
    this.book.clear();
    this.lastWsTime = null;
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
    this.session?.cancelRetry();
    this.session = null;
    this.socket.dispose();
  }

  private leave(s: SyncSession): void {
    s.cancelRetry();
    if (s.subscribed) this.socket.send(JSON.stringify(unsubscribeFrame(s.seriesId)));
    s.subscribed = false;
  }

  private async loadHistory(s: SyncSession): Promise<void> {
    const result = await getCandles(this.options.transport.fetch, this.httpBase, { seriesId: s.seriesId, limit: HISTORY_LIMIT });
    if (s !== this.session) return;
    if (!result.ok) {
      this.httpFailed(s, `history request failed: ${result.reason}`, result, () => void this.loadHistory(s));
      return;
    }
    s.httpSucceeded();
    this.book.mergeClosed(result.candles);
    this.listener.onBars({ kind: 'bulk' });
    s.historyLoaded = true;
    this.subscribe(s);
  }

  /** Sends the subscribe when its preconditions hold; called again whenever one becomes true. */
  private subscribe(s: SyncSession): void {
    if (s !== this.session || s.terminal || s.subscribed || !this.socket.isOpen) return;
    if (this.mode === 'history' && !s.historyLoaded) return;
    if (!this.socket.send(JSON.stringify(subscribeFrame(this.mode, s.seriesId, this.book.lastClosedTime)))) return;
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
    this.setStatus(status, retryingIn(reason, retryInMs));
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
    if (frame.type === 'gap') return this.onGap(s);
    const merged = mergeLiveFrame(this.book, frame);
    if (merged.lastClosedTime !== undefined) this.lastWsTime = merged.lastClosedTime;
    this.apply(merged.change);
    // Snapshot mode is live once its snapshot is drawn (history mode went live at its subscribe).
    if (frame.type === 'snapshot' && !s.refilling) this.setStatus('ready', '');
  }

  private onGap(s: SyncSession): void {
    if (this.mode === 'snapshot') {
      // Zero-HTTP mode fills holes the same way it started: a fresh snapshot replaces the subscription.
      s.subscribed = false;
      this.subscribe(s);
      return;
    }
    // Captured now: the candles after the hole are about to arrive and would move lastClosedTime past it.
    void this.refill(s, this.book.lastClosedTime);
  }

  private async refill(s: SyncSession, since: number | null): Promise<void> {
    if (!s.startRefill(since)) return;
    const result = await getCandles(this.options.transport.fetch, this.httpBase, { seriesId: s.seriesId, since, limit: REFILL_LIMIT });
    s.refillAnswered();
    if (s !== this.session) return;
    if (!result.ok) {
      this.httpFailed(s, `gap refill failed: ${result.reason}`, result, () => void this.refill(s, since));
      return;
    }
    s.httpSucceeded();
    this.apply(this.book.mergeClosed(result.candles));
    const pending = s.takeQueuedRefill();
    if (pending !== undefined) void this.refill(s, pending);
    else if (s.subscribed && this.statusValue === 'error') this.setStatus('ready', '');
  }

  /** A history or refill request failed: stop (4xx) or ask again later, saying which in the status. */
  private httpFailed(s: SyncSession, reason: string, failure: HttpFailure, again: () => void): void {
    const delay = s.httpFailed(failure, () => {
      if (s === this.session) again();
    });
    this.setStatus('error', delay === null ? reason : retryingIn(reason, delay));
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
