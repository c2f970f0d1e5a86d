import { afterAll, beforeAll } from 'vitest';
import { localNatsUnavailable, startLocalNats, type LocalNats } from '../../tools/nats/local-nats.js';

/**
 * A real nats-server (JetStream) for a test file: one throwaway server (tools/nats/local-nats.ts)
 * started before the file's tests and removed after them. Files call `natsSkipReason()` first and
 * skip with that reason when nats-server is not installed (CI installs it: .ci/run).
 */
export function natsSkipReason(): string | null {
  const why = localNatsUnavailable();
  if (why) console.warn(`[skip] NATS tests: ${why}`);
  return why;
}

export function useNats(): () => LocalNats {
  let server: LocalNats | null = null;
  beforeAll(async () => {
    server = await startLocalNats();
  }, 60_000);
  afterAll(async () => {
    await server?.destroy();
    server = null;
  });
  return () => {
    if (!server) throw new Error('the nats-server is used outside its test file');
    return server;
  };
}

let prefixes = 0;

/** A subject prefix of its own (its own stream and buckets): clusters on one server stay apart. */
export function freshBusPrefix(): string {
  return `t${process.pid}_${++prefixes}`;
}
