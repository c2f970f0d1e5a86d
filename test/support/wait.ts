/**
 * How long a wait may take before the test fails. A bound for something that must happen, not a
 * timing claim: generous, because CI runs two test files at once on two cores and a loaded
 * machine stretches every step.
 */
export const WAIT_BOUND_MS = 15_000;

/** Polls `condition` every few ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = WAIT_BOUND_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Like waitFor, for a condition that must be computed asynchronously (a stats call, a read). */
export async function waitForAsync(condition: () => Promise<boolean>, what: string, timeoutMs = WAIT_BOUND_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
