import { defineConfig } from 'vitest/config';

/**
 * The reliability probes (`npm run test:chaos`, docs/reliability.md): kill -9 at rate, concurrent
 * starts, slow consumers, connection churn, storage and upstream faults, fuzzing. They take
 * minutes, so `npm test` leaves them out; `CHAOS_SMOKE=1` (`npm run test:chaos:smoke`, run by
 * .ci/run) shrinks every probe to a bounded smoke form.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // One probe at a time: each measures a gateway process (RSS, fds, rates) that a neighbour's
    // load would blur, and the machine may have only 2 cores.
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
