/**
 * Paces what WE send on one Binance connection. Binance counts inbound messages per connection —
 * spot 5/s, futures 10/s, "pongs and SUBSCRIBEs count" (sources.md) — and closes a connection that
 * exceeds the limit. The WebSocket client answers every server ping with a pong on its own, so the pacer is
 * told about those (recordPong) and keeps room for the pongs still to come: as many as arrived in
 * the last window, and never fewer than the server's ping interval allows in one window.
 *
 * Sliding-window log over one second plus a margin: the server counts on arrival, so two messages
 * sent 1000 ms apart may land 990 ms apart after network jitter.
 */
export interface PacerOptions {
  /** Messages per second the server allows on one connection. */
  readonly limitPerSecond: number;
  /** How often the server pings (sources.md: spot 20 s, futures 3 min); sets the slots kept for pongs. */
  readonly serverPingIntervalMs?: number;
  /** Extra window length that absorbs network jitter (default 150 ms). */
  readonly marginMs?: number;
}

const WINDOW_MS = 1000;
const DEFAULT_MARGIN_MS = 150;

export class InboundPacer {
  /** Times of everything sent (ours and pongs) within the span, oldest first. */
  private readonly sent: number[] = [];
  /** Times of pongs within the span. */
  private readonly pongTimes: number[] = [];
  private readonly limit: number;
  private readonly reserve: number;
  private readonly spanMs: number;
  private pongs = 0;
  private messages = 0;

  constructor(options: PacerOptions) {
    this.limit = options.limitPerSecond;
    this.spanMs = WINDOW_MS + (options.marginMs ?? DEFAULT_MARGIN_MS);
    // As many pongs as pings can fall in one window; at least one (pings need not be periodic).
    this.reserve = Math.max(1, Math.ceil(this.spanMs / (options.serverPingIntervalMs ?? Infinity)));
  }

  /** Milliseconds until one more message may go (0 = now). */
  delayMs(now: number): number {
    expire(this.sent, now - this.spanMs);
    expire(this.pongTimes, now - this.spanMs);
    const budget = this.limit - Math.max(this.reserve, this.pongTimes.length);
    if (budget <= 0) return Math.max(1, (this.pongTimes[0] ?? now) + this.spanMs - now);
    if (this.sent.length < budget) return 0;
    return Math.max(1, this.sent[this.sent.length - budget]! + this.spanMs - now);
  }

  /** A message of ours left the socket. */
  recordSend(now: number): void {
    this.sent.push(now);
    this.messages++;
  }

  /** The client answered a server ping: the pong counts against the same limit. */
  recordPong(now: number): void {
    this.sent.push(now);
    this.pongTimes.push(now);
    this.pongs++;
  }

  get stats(): { messages: number; pongs: number } {
    return { messages: this.messages, pongs: this.pongs };
  }
}

function expire(times: number[], cutoff: number): void {
  let drop = 0;
  while (drop < times.length && times[drop]! <= cutoff) drop++;
  if (drop > 0) times.splice(0, drop);
}
