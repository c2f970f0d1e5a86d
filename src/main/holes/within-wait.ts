import type { Clock, Timer } from '../../shared/clock.js';

/**
 * The promise's value, or null once `waitMs` has passed (`onTimeout` runs then). The promise
 * itself goes on: a read that stops waiting for a fetch does not cancel it, so what it brings is
 * still committed for the next read.
 */
export async function withinWait<T>(promise: Promise<T>, waitMs: number, clock: Clock, onTimeout?: () => void): Promise<T | null> {
  let timer: Timer | undefined;
  const timeout = new Promise<null>(
    (resolve) =>
      (timer = clock.setTimeout(() => {
        onTimeout?.();
        resolve(null);
      }, waitMs)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}
