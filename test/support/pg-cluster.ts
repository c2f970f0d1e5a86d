import { afterAll, beforeAll } from 'vitest';
import { localClusterUnavailable, startLocalCluster, type LocalCluster } from '../../tools/pg/local-cluster.js';
import type { PgSettings } from '../../src/writer/contract.js';

/**
 * A real PostgreSQL for a test file: one throwaway cluster (tools/pg/local-cluster.ts) started
 * before the file's tests and removed after them. Files call `pgSkipReason()` first and skip
 * with that reason when PostgreSQL is not installed (CI installs it: .ci/run).
 */
export function pgSkipReason(): string | null {
  const why = localClusterUnavailable();
  if (why) console.warn(`[skip] PostgreSQL tests: ${why}`);
  return why;
}

/** Starts the file's cluster in beforeAll; the returned getter is valid inside tests and hooks. */
export function usePgCluster(): () => LocalCluster {
  let cluster: LocalCluster | null = null;
  beforeAll(async () => {
    cluster = await startLocalCluster();
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
    cluster = null;
  });
  return () => {
    if (!cluster) throw new Error('the PostgreSQL cluster is used outside its test file');
    return cluster;
  };
}

/** The store's PostgreSQL settings for a database of the cluster (small pool, test-friendly). */
export function pgSettings(url: string, overrides: Partial<PgSettings> = {}): PgSettings {
  return { url, poolSize: 2, statementTimeoutMs: 30_000, connectWaitMs: 0, ...overrides };
}

/**
 * One database per key (a test's temp dir, say): the contract suite opens a store on a directory
 * and reopens the same directory later, which must find the same data.
 */
export function databasesByKey(cluster: () => LocalCluster): (key: string) => Promise<string> {
  const urls = new Map<string, Promise<string>>();
  return (key) => {
    let url = urls.get(key);
    if (!url) urls.set(key, (url = cluster().createDatabase()));
    return url;
  };
}
