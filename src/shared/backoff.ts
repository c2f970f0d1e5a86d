/**
 * Reconnect delays: exponential from `baseMs` to `capMs` with "equal jitter" (half fixed, half
 * random). The fixed half keeps a flapping endpoint from being hammered — Binance allows 300
 * connection attempts per 5 min per IP (sources.md), shared by every connection of the gateway —
 * and the random half spreads the reconnects of connections cut at the same moment.
 */
export interface BackoffOptions {
  /** First delay before jitter (default 1 s). */
  readonly baseMs?: number;
  /** Largest delay (default 30 s). */
  readonly capMs?: number;
  /** Uniform [0, 1); injectable so tests get exact delays. */
  readonly random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 1000;
export const DEFAULT_BACKOFF_CAP_MS = 30_000;

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.capMs = Math.max(this.baseMs, options.capMs ?? DEFAULT_BACKOFF_CAP_MS);
    this.random = options.random ?? Math.random;
  }

  /** Delay before the next attempt; each call doubles the ceiling up to the cap. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Called once a connection proved healthy; the next failure starts from the base again. */
  reset(): void {
    this.attempt = 0;
  }
}
