import { localClusterUnavailable, startLocalCluster, type LocalCluster } from '../../tools/pg/local-cluster.js';

/**
 * Server settings of the benchmarks' throwaway PostgreSQL (the measurements in
 * /work/scratch-pg/REPORT.md used the same): room for the working set in shared buffers, and no
 * checkpoint in the middle of a run (default max_wal_size 1GB would checkpoint during a 1M-row
 * import and add full-page writes). Durability stays the default: fsync, synchronous_commit and
 * full_page_writes on.
 */
export const BENCH_PG_SETTINGS = ['shared_buffers=1GB', 'max_wal_size=16GB', 'checkpoint_timeout=30min', 'work_mem=64MB', 'maintenance_work_mem=512MB'];

/** The store a benchmark measures: `--store sqlite` (default) or `--store postgres`. */
export function storeOption(args: readonly string[]): 'sqlite' | 'postgres' {
  const i = args.indexOf('--store');
  const value = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--store='))?.slice('--store='.length);
  if (value === undefined || value === 'sqlite') return 'sqlite';
  if (value === 'postgres') return 'postgres';
  throw new Error(`--store must be sqlite or postgres, got '${value}'`);
}

/** A throwaway cluster for one benchmark run (removed by `destroy()`). */
export async function benchPostgres(): Promise<LocalCluster> {
  const why = localClusterUnavailable();
  if (why) throw new Error(`--store postgres: ${why}`);
  return startLocalCluster({ settings: BENCH_PG_SETTINGS });
}
