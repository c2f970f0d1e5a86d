import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

/**
 * Third-party fixtures (real freqtrade files, recorded Binance frames) live in ../shared/fixtures
 * next to the repo and are never copied into it. Suites that need them skip, saying why, when the
 * folder is absent (e.g. on a fresh clone elsewhere).
 */
export const SHARED_FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

export function sharedFixture(relative: string): string {
  return SHARED_FIXTURES + relative;
}

export const sharedFixturesPresent = existsSync(SHARED_FIXTURES);

/** `describe` that runs only when ../shared/fixtures exists, and prints the reason otherwise. */
export function describeWithSharedFixtures(name: string, body: () => void): void {
  if (!sharedFixturesPresent) {
    console.warn(`[skip] "${name}": ${SHARED_FIXTURES} is absent (third-party fixtures are not part of the repo)`);
  }
  describe.runIf(sharedFixturesPresent)(name, body);
}
