/**
 * Acknowledgements awaited by token: each `add` returns a token (for the reply subject) and a
 * promise that `settle` resolves or rejects, or that is rejected once `timeoutMs` has passed
 * (checked by one sweep timer, not a timer per entry). Bounded by its caller: the committed
 * publisher keeps at most its window of publishes in flight.
 */
export class PendingAcks<T> {
  private readonly pending = new Map<number, { resolve: (value: T) => void; reject: (err: Error) => void; deadline: number }>();
  private counter = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sweepMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.pending.size;
  }

  add(timeoutMs: number): { token: number; promise: Promise<T> } {
    const token = ++this.counter;
    const promise = new Promise<T>((resolve, reject) => this.pending.set(token, { resolve, reject, deadline: this.now() + timeoutMs }));
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.sweepMs);
      this.timer.unref();
    }
    return { token, promise };
  }

  /** Settles the token's promise (an unknown token — late, after its timeout — is ignored). */
  settle(token: number, outcome: T | Error): void {
    const entry = this.pending.get(token);
    if (!entry) return;
    this.pending.delete(token);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
    this.idle();
  }

  /** Rejects every entry past its deadline. */
  sweep(): void {
    const now = this.now();
    for (const [token, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.pending.delete(token);
      entry.reject(new Error('timeout'));
    }
    this.idle();
  }

  /** Rejects everything still pending (the connection is closing). */
  close(err: Error): void {
    for (const entry of this.pending.values()) entry.reject(err);
    this.pending.clear();
    this.idle();
  }

  private idle(): void {
    if (this.pending.size > 0 || this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
