/**
 * Exponential reconnect delay: 0.5 s, 1 s, 2 s … capped at 10 s, each shortened by up to
 * `jitter` of itself so that pages dropped together by a restart do not reconnect in lockstep.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Fraction of each delay that is randomised away, in [0, 1]. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, jitter: 0.2 };

export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number,
  ) {}

  /** The delay before the next attempt; each call doubles the following one up to the cap. */
  next(): number {
    const { initialMs, maxMs, jitter } = this.options;
    const base = Math.min(maxMs, initialMs * 2 ** this.attempt);
    if (base < maxMs) this.attempt++;
    return Math.round(base * (1 - jitter * this.random()));
  }

  /** Called once a connection has proved healthy. */
  reset(): void {
    this.attempt = 0;
  }
}

/** A status reason with the wait before the next attempt, e.g. `HTTP 503; retrying in 1.5s`. */
export function retryingIn(reason: string, delayMs: number): string {
  return `${reason}; retrying in ${Math.round(delayMs / 100) / 10}s`;
}
