import type { SynchronousMode } from './contract.js';

/** How the SQLite store opens its connection (sqlite-candle-store.ts). */
export interface StoreOptions {
  readonly synchronous?: SynchronousMode;
  /** Rows per multi-row upsert statement: 100 measured fastest through this WASM binding. */
  readonly rowsPerStatement?: number;
  /** Page cache size; small values make SQLite spill pages mid-transaction (crash tests). */
  readonly cacheKiB?: number;
  /** Bind through the binding's raw exports (row-binder.ts); default true. Tests compare both paths. */
  readonly fastBinding?: boolean;
}

/** The pragmas every store connection runs with (exported so benchmarks measure the same setup). */
export function connectionPragmas(options: StoreOptions = {}): string {
  // Page size stays SQLite's 4 KiB default: 8 KiB made the bare engine ~15% faster on bulk but
  // not our import, and was mixed on many-series live drains (docs/benchmarks.md).
  return (
    `PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=PERSIST; PRAGMA synchronous=${options.synchronous ?? 'FULL'};` +
    ` PRAGMA cache_size=-${options.cacheKiB ?? 65536}; PRAGMA temp_store=MEMORY;`
  );
}
