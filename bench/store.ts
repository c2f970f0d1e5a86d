/**
 * `npm run bench:store [-- --quick] [--store sqlite|postgres]`
 *
 *   sqlite (default)  the table layout and statement size (store-layout.ts), then the drain shapes
 *   postgres          the drain shapes on a throwaway PostgreSQL cluster (bench/lib/bench-pg.ts)
 *
 * Drain shapes and ceilings: store-drains.ts; figures in docs/benchmarks.md.
 */
import { benchArgs } from './lib/bench-args.js';
import { storeOption } from './lib/bench-pg.js';
import { runDrainBench } from './store-drains.js';
import { setLogLevel } from '../src/shared/log.js';

setLogLevel('warn');

const { quick, args } = benchArgs();
const kind = storeOption(args);
if (kind === 'sqlite') await import('./store-layout.js');
await runDrainBench(kind, quick);
