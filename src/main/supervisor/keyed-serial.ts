/**
 * Runs operations one after another per key (a series' job start and stop must reach its worker in
 * the order they were asked), different keys in parallel. A failed operation is reported and does
 * not stop the next one.
 */
export class KeyedSerial {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  /** Queues `op` behind the key's pending operations; resolves when it has run (never rejects). */
  run(key: string, op: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(op).catch((err: unknown) => this.onError(key, err));
    this.tails.set(key, next);
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves when everything queued for the key so far has run. */
  settled(key: string): Promise<void> {
    return this.tails.get(key) ?? Promise.resolve();
  }
}
