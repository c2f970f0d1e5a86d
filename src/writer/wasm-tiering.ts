import { setFlagsFromString } from 'node:v8';

/**
 * SQLite runs as WebAssembly (the store's binding). By default V8 compiles a wasm module with its
 * baseline compiler and then recompiles each function that gets hot with its optimizing compiler,
 * on background threads, as the workload reaches it. SQLite is thousands of functions, and new
 * ones keep getting hot as a gateway meets new work (first reads, imports, checkpoints): measured
 * on `bench:first-open`, V8's background threads spent 9–15 ms of CPU per first open, about a
 * third of the process's CPU, on a machine where those cores serve the exchange connections and
 * clients too; compiling SQLite optimized at once cut that to 4–7 ms and the process's CPU per
 * first open from 25–36 to 21–27 ms (docs/benchmarks.md), for ~70 ms more at start.
 *
 * A V8 flag is process-wide and only affects modules compiled after it is set, so this runs just
 * before the binding is loaded (sqlite-candle-store.ts); SQLite is the process's only WebAssembly.
 * Set KLINE_GATEWAY_WASM_DYNAMIC_TIERING=1 to keep V8's default.
 */
export function compileWasmOptimized(): void {
  if (process.env.KLINE_GATEWAY_WASM_DYNAMIC_TIERING === '1') return;
  setFlagsFromString('--no-wasm-dynamic-tiering');
}
